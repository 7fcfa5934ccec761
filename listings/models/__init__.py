from .availability import AvailabilityException, AvailabilityRule
from .catalogue import Category
from .listings import Listing, ListingKind, ListingPhoto, ListingSlug, ListingStatus, PriceUnit
from .saved import Favourite, SavedSearch

__all__ = [
    "AvailabilityException",
    "AvailabilityRule",
    "Category",
    "Favourite",
    "Listing",
    "ListingKind",
    "ListingPhoto",
    "ListingSlug",
    "ListingStatus",
    "PriceUnit",
    "SavedSearch",
]
