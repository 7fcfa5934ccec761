"""Buyer-facing listing pages, mounted at /listings/."""

from django.urls import path

from listings.views import buyer

app_name = "listings"

urlpatterns = [
    path("", buyer.search, name="search"),
    path("favourites/", buyer.favourites, name="favourites"),
    path("saved-searches/", buyer.saved_searches, name="saved_searches"),
    path("saved-searches/<int:pk>/delete/", buyer.saved_search_delete, name="saved_search_delete"),
    path("<slug:slug>/", buyer.listing_detail, name="detail"),
    path("<slug:slug>/favourite/", buyer.favourite_toggle, name="favourite"),
]
