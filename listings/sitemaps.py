"""sitemap.xml: published listings and the category pages (served at /sitemap.xml, see hub/urls.py)."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap
from django.urls import path

from listings.models import Category, Listing, ListingStatus


class ListingSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8
    # Django's default limit, the protocol's maximum: 50,000 URLs a file (past that, ?p=2 and a sitemap index).

    def items(self):
        return (
            Listing.objects.filter(status=ListingStatus.PUBLISHED)
            .only("slug", "updated_at")
            .order_by("-published_at", "-id")
        )

    def lastmod(self, listing: Listing):
        return listing.updated_at


class CategorySitemap(Sitemap):
    changefreq = "daily"
    priority = 0.5

    def items(self):
        return Category.objects.only("slug", "path").order_by("path")


sitemaps = {"listings": ListingSitemap, "categories": CategorySitemap}

urlpatterns = [
    path("", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
]
