"""Forum pages under /forum/. Each view parses, finds what the member may see through the selectors (anything else
is a 404), calls one service and renders. Every action is a POST form that works without JavaScript; reactions
also answer htmx with just the post's reaction buttons."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from community.forums import selectors, services
from community.forums.forms import EditForm, FlagForm, ReplyForm, SearchForm, TopicForm
from community.models import FlagReason, ReactionKind, TopicKind, WatchLevel
from community.models.forums import POSTS_PER_PAGE

FLAGS_PAGE_SIZE = 30


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _status_for(error: ValidationError) -> int:
    return 429 if isinstance(error, services.RateLimited) else 400


def _int_param(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        raise Http404 from None


def _own_listings(member):
    from listings.models import Listing, ListingStatus

    if not member.is_authenticated:
        return Listing.objects.none()
    return Listing.objects.filter(seller=member, status=ListingStatus.PUBLISHED).order_by("title")


# --- Reading -------------------------------------------------------------------------------------------------------


def index(request: HttpRequest) -> HttpResponse:
    categories = list(selectors.categories_for(member=request.user))
    groups: dict[str, list] = {}
    for category in categories:
        groups.setdefault(category.get_facet_display(), []).append(category)
    return render(
        request,
        "community/forums/index.html",
        {
            "groups": groups.items(),
            "search_form": SearchForm(),
            "can_moderate": selectors.member_can_moderate(request.user),
        },
    )


def category(request: HttpRequest, slug: str) -> HttpResponse:
    category = selectors.category_get_for(slug=slug, member=request.user)
    topics = selectors.category_topics(category=category, member=request.user)
    page = Paginator(topics, selectors.TOPICS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "community/forums/category.html", {"category": category, "page": page})


def _topic_context(request: HttpRequest, topic, reply_form: ReplyForm) -> dict:
    posts = selectors.topic_posts(topic=topic, member=request.user)
    page = Paginator(posts, POSTS_PER_PAGE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    for post in items:
        post.reaction_counts = selectors.post_reactions(post)
    can_moderate = selectors.member_can_moderate(request.user)
    return {
        "topic": topic,
        "category": topic.category,
        "page": page,
        "posts": items,
        "form": reply_form,
        "can_moderate": can_moderate,
        "watch_level": selectors.topic_watch_level(topic=topic, member=request.user),
        "watch_levels": WatchLevel.choices,
        "can_reply": request.user.is_authenticated and (not topic.closed or can_moderate),
        "quoting": _quoted(topic, reply_form),
    }


def _quoted(topic, form: ReplyForm):
    quote_id = form["quote"].value()
    try:
        quote_id = int(quote_id) if quote_id else None
    except (TypeError, ValueError):
        return None
    if quote_id is None:
        return None
    return topic.posts.select_related("author__profile").filter(pk=quote_id, hidden=False).first()


@require_http_methods(["GET", "POST"])
def topic(request: HttpRequest, pk: int) -> HttpResponse:
    topic = selectors.topic_get_for(topic_id=pk, member=request.user)
    if request.method == "GET":
        form = ReplyForm(review=topic.is_review, initial={"quote": _int_param(request.GET.get("quote"))})
        context = _topic_context(request, topic, form)
        if request.user.is_authenticated and context["posts"]:
            services.topic_read_mark(topic=topic, member=request.user, number=context["posts"][-1].number)
        return render(request, "community/forums/topic.html", context)

    if not request.user.is_authenticated:
        return redirect(f"{_login_url()}?next={topic.get_absolute_url()}")
    form = ReplyForm(request.POST, review=topic.is_review)
    status = 400
    if form.is_valid():
        quote = None
        if form.cleaned_data.get("quote"):
            quote = topic.posts.filter(pk=form.cleaned_data["quote"]).first()
        try:
            post = services.post_create(
                topic=topic, author=request.user, body=form.cleaned_data["body"], quote=quote, feedback=form.feedback()
            )
        except ValidationError as error:
            _apply_errors(form, error)
            status = _status_for(error)
        else:
            messages.success(request, _("Your reply is posted."))
            return redirect(post.get_absolute_url())
    return render(request, "community/forums/topic.html", _topic_context(request, topic, form), status=status)


def _login_url() -> str:
    from django.conf import settings
    from django.shortcuts import resolve_url

    return resolve_url(settings.LOGIN_URL)


def post_link(request: HttpRequest, pk: int) -> HttpResponse:
    """A permanent address for a post: sends the reader to the page of the topic it is on."""
    post = selectors.post_get_for(post_id=pk, member=request.user)
    return redirect(post.get_absolute_url())


def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    results = []
    if form.is_valid():
        results = selectors.forum_search(query=form.cleaned_data["q"], member=request.user)
    return render(
        request, "community/forums/search.html", {"form": form, "results": results, "searched": form.is_bound}
    )


# --- Writing -------------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def topic_new(request: HttpRequest, slug: str) -> HttpResponse:
    category = selectors.category_get_for(slug=slug, member=request.user)
    own = _own_listings(request.user)
    initial_kind = request.GET.get("kind") if request.GET.get("kind") in TopicKind.values else TopicKind.DISCUSSION
    form = TopicForm(request.POST or None, own_listings=own, initial={"kind": initial_kind})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                topic = services.topic_create(author=request.user, category=category, **form.service_kwargs())
            except ValidationError as error:
                _apply_errors(form, error)
                status = _status_for(error)
            else:
                messages.success(request, _("Your topic is open."))
                return redirect(topic)
    return render(
        request,
        "community/forums/new_topic.html",
        {"category": category, "form": form, "has_listings": own.exists()},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_get_for(post_id=pk, member=request.user)
    if post.author_id != request.user.pk:
        raise PermissionDenied
    form = EditForm(request.POST or None, initial={"body": post.body})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                post = services.post_edit(post=post, editor=request.user, body=form.cleaned_data["body"])
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Your post is updated."))
                return redirect(post.get_absolute_url())
    return render(request, "community/forums/edit.html", {"post": post, "form": form}, status=status)


@login_required
@require_POST
def reaction(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_get_for(post_id=pk, member=request.user)
    kind = request.POST.get("kind", "")
    if kind not in ReactionKind.values:
        raise Http404
    try:
        services.reaction_toggle(post=post, member=request.user, kind=kind)
    except ValidationError as error:
        if not request.htmx:
            messages.error(request, " ".join(error.messages))
            return redirect(post.get_absolute_url())
    if request.htmx:
        annotated = selectors.post_with_reactions(post=post, member=request.user)
        annotated.reaction_counts = selectors.post_reactions(annotated)
        return render(request, "community/forums/_reactions.html", {"post": annotated})
    return redirect(post.get_absolute_url())


@login_required
@require_POST
def answer_accept(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_get_for(post_id=pk, member=request.user)
    try:
        services.answer_accept(topic=post.topic, post=post, member=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Answer accepted. Thank you for closing the loop."))
    return redirect(post.get_absolute_url())


@login_required
@require_POST
def topic_watch(request: HttpRequest, pk: int) -> HttpResponse:
    topic = selectors.topic_get_for(topic_id=pk, member=request.user)
    level = request.POST.get("level", "")
    try:
        services.topic_watch_set(topic=topic, member=request.user, level=level)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Notifications for this topic: %(level)s.") % {"level": WatchLevel(level).label})
    return redirect(topic)


@login_required
@require_POST
def topic_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    topic = selectors.topic_get_for(topic_id=pk, member=request.user)
    action = request.POST.get("action")
    if action in ("pin", "unpin"):
        services.topic_pin(topic=topic, member=request.user, pinned=action == "pin")
    elif action in ("close", "open"):
        services.topic_close(topic=topic, member=request.user, closed=action == "close")
    else:
        raise Http404
    messages.success(request, _("Topic updated."))
    return redirect(topic)


@login_required
@require_http_methods(["GET", "POST"])
def flag(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_get_for(post_id=pk, member=request.user)
    form = FlagForm(request.POST or None, initial={"reason": FlagReason.SPAM})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.flag_create(
                    post=post, flagger=request.user, reason=form.cleaned_data["reason"], text=form.cleaned_data["text"]
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Thank you. Moderators will look at this post."))
                return redirect(post.get_absolute_url())
    return render(request, "community/forums/flag.html", {"post": post, "form": form}, status=status)


# --- Moderators ----------------------------------------------------------------------------------------------------


@login_required
def flags_queue(request: HttpRequest) -> HttpResponse:
    if not selectors.member_can_moderate(request.user):
        raise Http404
    page = Paginator(selectors.flags_open(), FLAGS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "community/forums/flags.html", {"page": page})


@login_required
@require_POST
def flag_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    if not selectors.member_can_moderate(request.user):
        raise Http404
    flag = selectors.flags_open().filter(pk=pk).first()
    if flag is None:
        messages.info(request, _("This flag was already resolved."))
        return redirect("forums:flags")
    agree = request.POST.get("decision") == "agree"
    services.flag_resolve(flag=flag, moderator=request.user, agree=agree)
    messages.success(request, _("Flag agreed: the post stays hidden.") if agree else _("Flag declined: post restored."))
    return redirect("forums:flags")
