"""The forums in the REST API, under /api/v1/forum/.

Reads go through `community.forums.selectors`, writes through `community.forums.services`; errors use the format of
`hub.api` (400 `{"errors": {"title": [...]}}`, 404 `{"detail": ...}` for a category or topic the member may not see,
429 `{"detail": ...}` when a forum rate limit is reached). Anyone may read public categories; writing needs a
member. Post bodies are returned both as the Markdown typed and as the sanitised HTML shown on the site.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from community.forums import selectors, services
from community.forums.services import BODY_MAX_CHARS, FEEDBACK_ASPECTS, FEEDBACK_MAX_CHARS, TITLE_MAX_CHARS
from community.models import LessonResult, Post, ReactionKind, TopicKind
from community.moderation import SanctionActive

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


class ForumWriteThrottle(UserRateThrottle):
    """Writing, per member, on top of the global throttles and the services' own limits."""

    scope = "forum_write"
    rate = "30/min"


class ForumWriteThrottleMixin:
    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method in WRITE_METHODS:
            throttles = [*throttles, ForumWriteThrottle()]
        return throttles


def _write(call, **kwargs):
    """Runs a write service: its rate limit becomes a 429, a category the member may not use a 404."""
    try:
        return call(**kwargs)
    except services.RateLimited as error:
        raise exceptions.Throttled(detail=" ".join(error.messages)) from error
    except SanctionActive as error:  # silenced or suspended: 403 with the reason and the end
        raise exceptions.PermissionDenied(detail=str(error)) from error
    except PermissionDenied as error:
        raise Http404 from error


# --- Serializers ---------------------------------------------------------------------------------------------------


class MemberRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()

    class Meta:
        ref_name = "ForumMemberRef"  # the schema's names are global: messaging has a MemberRef of its own


class CategorySerializer(serializers.Serializer):
    class Meta:
        ref_name = "ForumCategory"  # listings has a Category component

    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    facet = serializers.CharField(help_text="topic, region or product_area.")
    visibility = serializers.CharField(help_text="public, role or private.")
    topic_count = serializers.IntegerField()
    last_activity_at = serializers.DateTimeField(allow_null=True)


class TopicSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=TopicKind.choices)
    author = MemberRefSerializer()
    category = serializers.SlugField(source="category.slug")
    tags = serializers.SerializerMethodField()
    pinned = serializers.BooleanField()
    closed = serializers.BooleanField()
    reply_count = serializers.IntegerField()
    unread = serializers.IntegerField(help_text="Posts the member has not read (0 for visitors).")
    accepted_answer = serializers.IntegerField(source="accepted_answer_id", allow_null=True)
    created_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_tags(self, topic) -> list[str]:
        return sorted(tag.name for tag in topic.tags.all())

    def get_url(self, topic) -> str:
        return self.context["request"].build_absolute_uri(topic.get_absolute_url())


class TopicCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX_CHARS)
    body = serializers.CharField(max_length=BODY_MAX_CHARS, help_text="Markdown.")
    kind = serializers.ChoiceField(choices=TopicKind.choices, default=TopicKind.DISCUSSION)
    tags = serializers.ListField(child=serializers.CharField(max_length=30), required=False, default=list)
    hypothesis = serializers.CharField(required=False, allow_blank=True, default="")
    tried = serializers.CharField(required=False, allow_blank=True, default="")
    result = serializers.ChoiceField(choices=LessonResult.choices, required=False, allow_blank=True, default="")
    figures = serializers.CharField(required=False, allow_blank=True, default="")
    linked_listings = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, default=list)
    playbook_urls = serializers.ListField(child=serializers.CharField(max_length=300), required=False, default=list)
    review_listing = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class ReactionsSerializer(serializers.Serializer):
    like = serializers.IntegerField()
    thanks = serializers.IntegerField()
    insightful = serializers.IntegerField()


class PostSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    author = MemberRefSerializer()
    body = serializers.SerializerMethodField(help_text="Markdown as typed; empty when the post is hidden.")
    body_html = serializers.SerializerMethodField(help_text="Rendered and sanitised; empty when hidden.")
    quote = serializers.IntegerField(source="quote_id", allow_null=True)
    feedback = serializers.DictField(child=serializers.CharField(), help_text="Peer-review feedback by aspect.")
    hidden = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    reactions = serializers.SerializerMethodField()
    my_reactions = serializers.SerializerMethodField()

    def get_body(self, post) -> str:
        return "" if post.hidden else post.body

    def get_body_html(self, post) -> str:
        return "" if post.hidden else post.body_html

    @extend_schema(responses=ReactionsSerializer)
    def get_reactions(self, post) -> dict[str, int]:
        return {kind: getattr(post, f"count_{kind}", 0) for kind in ReactionKind.values}

    def get_my_reactions(self, post) -> list[str]:
        return [kind for kind in ReactionKind.values if getattr(post, f"mine_{kind}", False)]


class PostCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=BODY_MAX_CHARS, allow_blank=True, required=False, default="")
    quote = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    feedback = serializers.DictField(
        child=serializers.CharField(max_length=FEEDBACK_MAX_CHARS, allow_blank=True),
        required=False,
        default=dict,
        help_text=f"Peer reviews only: short texts keyed by {', '.join(FEEDBACK_ASPECTS)}.",
    )


def _paginated(name: str, item) -> serializers.Serializer:
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


# --- Views ---------------------------------------------------------------------------------------------------------


class CategoryListView(APIView):
    """The categories the caller may see, with topic counts and last activity."""

    permission_classes = [AllowAny]

    @extend_schema(operation_id="forum_categories_list", responses=CategorySerializer(many=True))
    def get(self, request):
        return Response(CategorySerializer(selectors.categories_for(member=request.user), many=True).data)


class CategoryTopicsView(ForumWriteThrottleMixin, APIView):
    """A category's topics, pinned first then by last activity; open a topic with its first post."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser]

    @extend_schema(operation_id="forum_topics_list", responses=_paginated("PaginatedForumTopics", TopicSerializer))
    def get(self, request, slug: str):
        category = selectors.category_get_for(slug=slug, member=request.user)
        paginator = api_settings.DEFAULT_PAGINATION_CLASS()
        page = paginator.paginate_queryset(
            selectors.category_topics(category=category, member=request.user), request, view=self
        )
        return paginator.get_paginated_response(TopicSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(operation_id="forum_topics_create", request=TopicCreateSerializer, responses={201: TopicSerializer})
    def post(self, request, slug: str):
        category = selectors.category_get_for(slug=slug, member=request.user)
        serializer = TopicCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["linked_listings"] = self._listings(data.get("linked_listings") or [], field="linked_listings")
        review_id = data.pop("review_listing", None)
        data["review_listing"] = self._listings([review_id], field="review_listing")[0] if review_id else None
        topic = _write(services.topic_create, author=request.user, category=category, **data)
        topic = selectors.category_topics(category=category, member=request.user).get(pk=topic.pk)
        return Response(TopicSerializer(topic, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _listings(ids: list[int], *, field: str) -> list:
        from listings.models import Listing

        listings = list(Listing.objects.filter(pk__in=ids))
        if len(listings) != len(set(ids)):
            raise exceptions.ValidationError({field: ["There is no such listing."]})
        return listings


class TopicPostsView(ForumWriteThrottleMixin, APIView):
    """A topic's posts in order (20 a page by default); reply with a post."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    parser_classes = [JSONParser]

    @extend_schema(operation_id="forum_posts_list", responses=_paginated("PaginatedForumPosts", PostSerializer))
    def get(self, request, pk: int):
        topic = selectors.topic_get_for(topic_id=pk, member=request.user)
        paginator = api_settings.DEFAULT_PAGINATION_CLASS()
        page = paginator.paginate_queryset(selectors.topic_posts(topic=topic, member=request.user), request, view=self)
        return paginator.get_paginated_response(PostSerializer(page, many=True).data)

    @extend_schema(operation_id="forum_posts_create", request=PostCreateSerializer, responses={201: PostSerializer})
    def post(self, request, pk: int):
        topic = selectors.topic_get_for(topic_id=pk, member=request.user)
        serializer = PostCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        quote = None
        if data.get("quote"):
            quote = Post.objects.filter(pk=data["quote"], topic=topic).first()
            if quote is None:
                raise exceptions.ValidationError({"quote": ["There is no such post in this topic."]})
        post = _write(
            services.post_create,
            topic=topic,
            author=request.user,
            body=data["body"],
            quote=quote,
            feedback=data.get("feedback") or None,
        )
        post = selectors.post_with_reactions(post=post, member=request.user)
        return Response(PostSerializer(post).data, status=status.HTTP_201_CREATED)
