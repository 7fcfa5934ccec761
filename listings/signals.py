"""Cross-cutting reactions inside the listings app."""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from listings.models import Category
from listings.models.catalogue import CATEGORY_TREE_CACHE_KEY


@receiver([post_save, post_delete], sender=Category, dispatch_uid="listings.category_tree_cache")
def category_tree_forget(**kwargs) -> None:
    """The cached category tree (selectors.categories_tree) is rebuilt on the next read."""
    cache.delete(CATEGORY_TREE_CACHE_KEY)
