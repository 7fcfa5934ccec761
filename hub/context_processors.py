"""The site's name, tagline and code-of-conduct link for every page, from the cache.

Wagtail's `settings` context processor finds the Site and then its SiteSettings on each request: two queries on
every page. These values change only when staff edit them in the CMS, so they are cached per host and dropped
whenever a SiteSettings, a Site or a Page is saved (`hub.apps`)."""

from __future__ import annotations

from django.core.cache import cache
from wagtail.models import Site

GENERATION_KEY = "hub:site-chrome:generation"
TIMEOUT = 60 * 60


def site_chrome_forget(sender=None, created: bool = False, **_kwargs) -> None:
    """Every cached copy is dropped at once: the generation in the key moves on. A page or settings row being
    created changes nothing shown (`SiteSettings.for_site` creates the row with its defaults on first use)."""
    if created and sender is not Site:
        return
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not set yet
        cache.set(GENERATION_KEY, 1, None)


def _load(request) -> dict:
    from hub.models import SiteSettings

    site = Site.find_for_request(request)
    if site is None:
        return {"platform_name": "Guildhall", "tagline": "", "code_of_conduct_url": ""}
    values = SiteSettings.for_site(site)
    coc = values.code_of_conduct_page
    live = coc.specific_deferred if coc is not None and coc.live else None
    return {
        "platform_name": values.platform_name,
        "tagline": values.tagline,
        "code_of_conduct_url": live.get_url(request) if live is not None else "",
    }


def site_chrome(request) -> dict:
    generation = cache.get_or_set(GENERATION_KEY, 1, None)
    key = f"hub:site-chrome:{generation}:{request.get_host()}"
    chrome = cache.get(key)
    if chrome is None:
        chrome = _load(request)
        cache.set(key, chrome, TIMEOUT)
    return {"site_chrome": chrome}
