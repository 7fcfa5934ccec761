"""Background work for listings (Celery)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


@shared_task(name="listings.saved_searches_notify", acks_late=True)
def saved_searches_notify(listing_id: int) -> int:
    """Emails each member whose saved search the newly published listing matches. Idempotent: a search is told
    about a listing once (it remembers the last notification time and skips listings published before it)."""
    from listings.models import Listing, ListingStatus, SavedSearch
    from listings.selectors import listings_matching, search_params_parse

    listing = Listing.objects.filter(pk=listing_id, status=ListingStatus.PUBLISHED).first()
    if listing is None:
        return 0
    sent = 0
    for saved in SavedSearch.objects.select_related("member").exclude(member=listing.seller).iterator():
        if saved.last_notified_at and listing.published_at and saved.last_notified_at >= listing.published_at:
            continue
        try:
            queryset, _category = listings_matching(search_params_parse(saved.query))
        except ValidationError:
            logger.info("Saved search %s no longer parses; skipped", saved.pk)
            continue
        if not queryset.filter(pk=listing.pk).exists():
            continue
        url = settings.SITE_URL.rstrip("/") + listing.get_absolute_url()
        send_mail(
            subject=_("New on Guildhall: %(title)s") % {"title": listing.title},
            message=_("A new listing matches your saved search “%(name)s”:\n\n%(title)s\n%(url)s\n")
            % {"name": saved.name, "title": listing.title, "url": url},
            from_email=None,
            recipient_list=[saved.member.email],
        )
        SavedSearch.objects.filter(pk=saved.pk).update(last_notified_at=timezone.now())
        sent += 1
    return sent


@shared_task(name="listings.search_terms_rebuild")
def search_terms_rebuild() -> int:
    """Rebuilds the typo-correcting vocabulary from the published listings; returns how many words it holds."""
    from listings.services import search_terms_rebuild as rebuild

    return rebuild()
