from .availability import AvailabilityException, AvailabilityRule
from .catalogue import Category
from .listings import CancellationPolicy, Listing, ListingKind, ListingPhoto, ListingSlug, ListingStatus, PriceUnit
from .saved import Favourite, SavedSearch
from .search import SearchTerm

__all__ = [
    "AvailabilityException",
    "AvailabilityRule",
    "CancellationPolicy",
    "Category",
    "Favourite",
    "Listing",
    "ListingKind",
    "ListingPhoto",
    "ListingSlug",
    "ListingStatus",
    "PriceUnit",
    "SavedSearch",
    "SearchTerm",
]
