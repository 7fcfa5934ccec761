"""Listing endpoints under /api/v1/."""

from django.urls import path

from listings import api

urlpatterns = [
    path("categories", api.CategoryListView.as_view(), name="categories"),
    path("listings", api.ListingListView.as_view(), name="listings"),
    path("listings/<int:pk>", api.ListingDetailView.as_view(), name="listing"),
    path("listings/<int:pk>/photos", api.ListingPhotoView.as_view(), name="listing_photos"),
    path("listings/<int:pk>/publish", api.ListingStatusView.as_view(transition="publish"), name="listing_publish"),
    path("listings/<int:pk>/pause", api.ListingStatusView.as_view(transition="pause"), name="listing_pause"),
    path("listings/<int:pk>/archive", api.ListingStatusView.as_view(transition="archive"), name="listing_archive"),
]
