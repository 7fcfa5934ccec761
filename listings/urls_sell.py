"""The seller's side: my listings and the create/edit flow, mounted at /sell/."""

from django.urls import path

from listings.views import seller

app_name = "sell"

urlpatterns = [
    path("", seller.my_listings, name="mine"),
    path("new/", seller.listing_create, name="create"),
    path("<int:pk>/edit/", seller.listing_edit, name="edit"),
    path("<int:pk>/photos/", seller.listing_photos, name="photos"),
    path("<int:pk>/availability/", seller.listing_availability, name="availability"),
    path("<int:pk>/publish/", seller.listing_publish, name="publish"),
    path("<int:pk>/pause/", seller.listing_pause, name="pause"),
    path("<int:pk>/archive/", seller.listing_archive, name="archive"),
    path("<int:pk>/duplicate/", seller.listing_duplicate, name="duplicate"),
    path("pause/", seller.listings_pause_bulk, name="pause_bulk"),
]
