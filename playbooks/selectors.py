"""Reads for playbooks: the filtered and searched index, a member's progress, the templates offered where the
work happens (description templates for a category, fulfilment tips for an order, reply templates for a
conversation), and the feedback queue."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils.safestring import SafeString

from community.models import SellerStage
from listings.models import Category
from playbooks.blocks import PlaybookStep
from playbooks.models import (
    PlaybookFeedback,
    PlaybookPage,
    PlaybookPageTag,
    Region,
    WelcomeProgress,
    WelcomeSeries,
    WelcomeSeriesItem,
)
from playbooks.placeholders import template_fill, template_placeholders

# Keyword search ranks at most this many playbooks before the facet filters apply; plenty for a content library.
SEARCH_CANDIDATES = 500


# --- The index ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaybookFilters:
    """The index's query-string filters. Stage and region also match playbooks written for every stage or
    everywhere (left empty); category matches the category, its ancestors and its descendants."""

    q: str = ""
    category: Category | None = None
    region: Region | None = None
    business: str = ""
    stage: str = ""
    tag: str = ""

    @property
    def active(self) -> bool:
        return any([self.q, self.category, self.region, self.business, self.stage, self.tag])


def playbooks_live() -> QuerySet[PlaybookPage]:
    return PlaybookPage.objects.live().public()


def playbook_search_ids(q: str, *, limit: int = SEARCH_CANDIDATES) -> list[int]:
    """Ids of live playbooks matching `q`, best first, through Wagtail's search backend (WAGTAILSEARCH_BACKENDS:
    the database backend, PostgreSQL full text in production, SQLite FTS5 on the embedded default)."""
    results = playbooks_live().search(q)[:limit]
    return [page.pk for page in results]


def _category_family(category: Category) -> Q:
    ancestors = [node.pk for node in category.get_ancestors()]
    return Q(category_id__in=[*ancestors, category.pk]) | Q(category__path__startswith=category.path)


def playbooks_filtered(filters: PlaybookFilters) -> QuerySet[PlaybookPage]:
    queryset = playbooks_live()
    through = PlaybookPage.categories.through
    if filters.category is not None:
        queryset = queryset.filter(
            pk__in=through.objects.filter(_category_family(filters.category)).values("playbookpage_id")
        )
    if filters.region is not None:
        queryset = queryset.filter(Q(regions=filters.region) | Q(regions__isnull=True))
    if filters.business:
        queryset = queryset.filter(business_models__kind=filters.business)
    if filters.stage:
        queryset = queryset.filter(seller_stage__in=[filters.stage, ""])
    if filters.tag:
        queryset = queryset.filter(
            pk__in=PlaybookPageTag.objects.filter(tag__slug=filters.tag).values("content_object_id")
        )
    if filters.q:
        ids = playbook_search_ids(filters.q)
        ranking = Case(
            *[When(pk=pk, then=Value(position)) for position, pk in enumerate(ids)],
            default=Value(len(ids)),
            output_field=IntegerField(),
        )
        return queryset.filter(pk__in=ids).annotate(search_rank=ranking).order_by("search_rank", "pk")
    return queryset.order_by("-first_published_at", "pk")


def playbook_cards(queryset: QuerySet[PlaybookPage]) -> QuerySet[PlaybookPage]:
    """What a playbook card shows, in a fixed number of queries whatever the page size."""
    return queryset.select_related("owner__profile").prefetch_related(
        "categories", "business_models", "regions", "tags"
    )


def playbook_tags_in_use(limit: int = 30) -> list[dict[str, Any]]:
    """The tags of live playbooks, most used first, for the index's tag links."""
    from django.db.models import Count

    return list(
        PlaybookPageTag.objects.filter(content_object__in=playbooks_live())
        .values("tag__name", "tag__slug")
        .annotate(count=Count("id"))
        .order_by("-count", "tag__name")[:limit]
    )


# --- Progress -----------------------------------------------------------------------------------------------


@dataclass
class PlaybookProgress:
    page: PlaybookPage
    steps: list[PlaybookStep]
    done_keys: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def done(self) -> int:
        # Ticks on steps removed since then do not count.
        return sum(1 for step in self.steps if step.key in self.done_keys)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done == self.total


@dataclass
class SeriesProgress:
    series: WelcomeSeries | None
    playbooks: list[PlaybookProgress]

    @property
    def done(self) -> int:
        return sum(item.done for item in self.playbooks)

    @property
    def total(self) -> int:
        return sum(item.total for item in self.playbooks)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def next_playbook(self) -> PlaybookProgress | None:
        return next((item for item in self.playbooks if not item.complete), None)


def _done_keys(member: Any, page_ids: Iterable[int]) -> dict[int, set[str]]:
    done: dict[int, set[str]] = defaultdict(set)
    if member is None or not getattr(member, "is_authenticated", False):
        return done
    rows = WelcomeProgress.objects.filter(member=member, page_id__in=list(page_ids)).values_list("page_id", "step_key")
    for page_id, key in rows:
        done[page_id].add(key)
    return done


def playbook_progress(*, member: Any, page: PlaybookPage) -> PlaybookProgress:
    """A member's ticks on one playbook (none for a visitor)."""
    return PlaybookProgress(page=page, steps=page.steps, done_keys=_done_keys(member, [page.pk])[page.pk])


def progress_for_pages(*, member: Any, pages: list[PlaybookPage]) -> list[PlaybookProgress]:
    done = _done_keys(member, [page.pk for page in pages])
    return [PlaybookProgress(page=page, steps=page.steps, done_keys=done[page.pk]) for page in pages]


def welcome_series_for_stage(stage: str) -> WelcomeSeries | None:
    return (
        WelcomeSeries.objects.filter(live=True, seller_stage=stage)
        .prefetch_related(
            Prefetch(
                "items",
                queryset=WelcomeSeriesItem.objects.filter(page__in=playbooks_live())
                .select_related("page")
                .order_by("sort_order"),
            )
        )
        .order_by("pk")
        .first()
    )


def welcome_series_progress(*, member: Any, series: WelcomeSeries | None) -> SeriesProgress:
    """Done / total per playbook of the series and overall. Playbooks that are no longer live are left out."""
    if series is None:
        return SeriesProgress(series=None, playbooks=[])
    pages = [item.page for item in series.items.all() if item.page.live]
    return SeriesProgress(series=series, playbooks=progress_for_pages(member=member, pages=pages))


def member_progress(*, member: Any) -> SeriesProgress:
    """ "My progress": every live playbook the member has ticked something in, with done / total, and overall."""
    page_ids = WelcomeProgress.objects.filter(member=member).values("page_id")
    pages = list(playbooks_live().filter(pk__in=page_ids).order_by("title"))
    return SeriesProgress(series=None, playbooks=progress_for_pages(member=member, pages=pages))


def member_stage(member: Any) -> str:
    profile = getattr(member, "profile", None) if getattr(member, "is_authenticated", False) else None
    return getattr(profile, "seller_stage", "") or SellerStage.NEW


# --- Description templates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DescriptionTemplate:
    """A playbook's description template, filled for one listing. `body` is HTML-safe (see template_fill), so
    the listing form's learning panel shows `{{ template.body }}` like a category's own templates."""

    title: str
    body: SafeString
    text: str
    placeholders: list[str]
    missing: list[str]
    page_id: int
    page_title: str
    page_url: str
    block_id: str
    advice: str = ""

    @property
    def record_url(self) -> str:
        """POST block_id=<block_id>&context=<where>[&listing=<id>] here when a seller inserts or copies it."""
        return f"{self.page_url}template-use/"


def _lineage(category: Category | None) -> dict[int, int]:
    """{category id: depth} for `category` and its ancestors (empty without a category)."""
    if category is None:
        return {}
    return {node.pk: node.depth for node in [*category.get_ancestors(), category]}


def _playbooks_for_lineage(depth_of: dict[int, int], *, include_general: bool) -> list[PlaybookPage]:
    """Live playbooks filed under one of the categories of `depth_of` (and, with `include_general`, those filed
    under no category at all), the most specific first, then by title. Two queries whatever their number."""
    through = PlaybookPage.categories.through
    # Exists() rather than two pk__in subqueries on the same table, which Django merges into one when OR-ed.
    filed = through.objects.filter(playbookpage_id=OuterRef("pk"))
    in_lineage = Exists(filed.filter(category_id__in=list(depth_of)))
    condition = (in_lineage | ~Exists(filed)) if include_general else in_lineage
    pages = (
        playbooks_live()
        .filter(condition)
        .prefetch_related(Prefetch("categories", queryset=Category.objects.filter(pk__in=list(depth_of))))
    )

    def specificity(page: PlaybookPage) -> tuple[int, str]:
        depths = [depth_of[node.pk] for node in page.categories.all()]
        return (-max(depths) if depths else 0, page.title)

    return sorted(pages, key=specificity)


def _filled_templates(
    pages: Iterable[PlaybookPage], block_type: str, values: Mapping[str, Any], keep=None
) -> list[DescriptionTemplate]:
    templates: list[DescriptionTemplate] = []
    for page in pages:
        for child in page.body:
            if child.block_type != block_type or (keep is not None and not keep(child.value)):
                continue
            text = child.value.get("text") or ""
            names = template_placeholders(text)
            templates.append(
                DescriptionTemplate(
                    title=child.value["title"],
                    body=template_fill(text, values),
                    text=text,
                    placeholders=names,
                    missing=[name for name in names if not str(values.get(name) or "").strip()],
                    page_id=page.pk,
                    page_title=page.title,
                    page_url=page.url,
                    block_id=str(child.id),
                    advice=str(child.value.get("advice") or ""),
                )
            )
    return templates


def description_templates_for(
    category: Category | None, values: Mapping[str, Any] | None = None
) -> list[DescriptionTemplate]:
    """The description templates of live playbooks filed under `category` or one of its ancestors, the most
    specific category first, each filled from `values` (see placeholders.listing_template_values)."""
    if category is None:
        return []
    pages = _playbooks_for_lineage(_lineage(category), include_general=False)
    return _filled_templates(pages, "description_template", values or {})


def fulfilment_tips_for(
    category: Category | None, kind: str, values: Mapping[str, Any] | None = None
) -> list[DescriptionTemplate]:
    """Fulfilment tips for an order of `kind` ("item" or "booking") in `category`: from live playbooks filed under
    the category, its ancestors, or no category (advice for every order); tips marked for the other kind are left
    out. `body` is the tip's message to copy, filled from `values` (placeholders.order_template_values)."""
    pages = _playbooks_for_lineage(_lineage(category), include_general=True)
    return _filled_templates(
        pages, "fulfilment_tip", values or {}, keep=lambda value: value.get("order_kind") in ("", None, kind)
    )


def reply_templates_for(
    category: Category | None, values: Mapping[str, Any] | None = None
) -> list[DescriptionTemplate]:
    """Reply templates for a seller's conversation about a listing in `category` (or about no listing): from live
    playbooks filed under the category, its ancestors, or no category; filled from `values`
    (placeholders.conversation_template_values)."""
    pages = _playbooks_for_lineage(_lineage(category), include_general=True)
    return _filled_templates(pages, "reply_template", values or {})


# --- Feedback -----------------------------------------------------------------------------------------------


def feedback_of(*, member: Any, page: PlaybookPage) -> PlaybookFeedback | None:
    if not getattr(member, "is_authenticated", False):
        return None
    return PlaybookFeedback.objects.filter(member=member, page=page).first()


def feedback_summary(*, page: PlaybookPage) -> dict[str, int]:
    from django.db.models import Count

    counts = PlaybookFeedback.objects.filter(page=page).aggregate(
        yes=Count("id", filter=Q(helpful=True)), no=Count("id", filter=Q(helpful=False))
    )
    helpful, not_helpful = counts["yes"] or 0, counts["no"] or 0
    return {"helpful": helpful, "not_helpful": not_helpful, "total": helpful + not_helpful}


def feedback_queue(*, status: str = "open") -> QuerySet[PlaybookFeedback]:
    """Feedback for facilitators: "open" (a comment nobody resolved yet), "resolved", or "all"."""
    queryset = PlaybookFeedback.objects.select_related("page", "member__profile", "resolved_by__profile")
    if status == "open":
        queryset = queryset.filter(resolved_at__isnull=True).exclude(comment="")
    elif status == "resolved":
        queryset = queryset.filter(resolved_at__isnull=False)
    return queryset.order_by("-updated_at", "-pk")
