"""Playbooks under /api/v1/: the live playbooks, filtered like the index page, and one playbook with its body.

Public content, like the pages: no sign-in needed. The body is the StreamField as JSON blocks
(`{"type", "value", "id"}`), which is what Wagtail's own API gives; rich text inside stays Wagtail's HTML."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import AllowAny

from playbooks import selectors
from playbooks.forms import PlaybookFilterForm
from playbooks.models import PlaybookPage


class PlaybookSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    categories = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    regions = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    business_models = serializers.SlugRelatedField(slug_field="kind", many=True, read_only=True)
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = PlaybookPage
        fields = [
            "id",
            "title",
            "url",
            "intro",
            "seller_stage",
            "categories",
            "regions",
            "business_models",
            "tags",
            "first_published_at",
            "last_published_at",
        ]

    def get_url(self, page: PlaybookPage) -> str:
        return page.get_url(self.context.get("request")) or ""


class PlaybookDetailSerializer(PlaybookSerializer):
    body = serializers.SerializerMethodField()

    class Meta(PlaybookSerializer.Meta):
        fields = [*PlaybookSerializer.Meta.fields, "body"]

    def get_body(self, page: PlaybookPage) -> list[dict]:
        return list(page.body.raw_data)


FILTERS = [
    OpenApiParameter("q", str, description="Words to search for."),
    OpenApiParameter("category", str, description="A category slug (its ancestors and descendants match too)."),
    OpenApiParameter("region", str, description="A region slug."),
    OpenApiParameter("business", str, description="A business model kind."),
    OpenApiParameter("stage", str, description="A seller stage: new, growing or established."),
    OpenApiParameter("tag", str, description="A tag slug."),
]


class PlaybookListView(ListAPIView):
    """Live playbooks, newest first (best match first with `q`)."""

    permission_classes = [AllowAny]
    serializer_class = PlaybookSerializer

    def get_queryset(self):
        form = PlaybookFilterForm(self.request.GET)
        if not form.is_valid():
            raise ValidationError({field: [str(e) for e in errors] for field, errors in form.errors.items()})
        return selectors.playbook_cards(selectors.playbooks_filtered(form.filters()))

    @extend_schema(operation_id="playbooks_list", parameters=FILTERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PlaybookDetailView(RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = PlaybookDetailSerializer

    def get_object(self) -> PlaybookPage:
        page = selectors.playbook_cards(selectors.playbooks_live()).filter(pk=self.kwargs["pk"]).first()
        if page is None:
            raise Http404
        return page

    @extend_schema(operation_id="playbooks_retrieve")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
