from django.core.cache import cache
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from listings.attributes import schema_validate

# listings.selectors.categories_tree caches the whole tree under this key; any change to a category clears it.
CATEGORY_TREE_CACHE_KEY = "listings:category-tree:v1"


class Category(MP_Node):
    """A node of the category tree. Its attribute schema drives the listing form and the search filters."""

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    attribute_schema = models.JSONField(
        _("attribute schema"),
        default=list,
        blank=True,
        validators=[schema_validate],
        help_text=_(
            'A list such as [{"name": "condition", "label": "Condition", "type": "choice", '
            '"choices": ["new", "used"], "required": true}]. Types: choice, integer, boolean, text.'
        ),
    )
    tips = models.TextField(_("tips for sellers"), blank=True, help_text=_("Shown beside the description."))
    description_templates = models.JSONField(
        _("description templates"),
        default=list,
        blank=True,
        help_text=_('A list of {"title": ..., "body": ...} a seller can insert into the description.'),
    )

    node_order_by = ["name"]

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("listings:search") + f"?category={self.slug}"

    def move(self, target, pos=None):
        """Moves bypass save() (treebeard updates paths in bulk), so the cached tree is cleared here too."""
        result = super().move(target, pos)
        cache.delete(CATEGORY_TREE_CACHE_KEY)
        return result

    def effective_schema(self) -> list[dict]:
        """The category's attributes after those inherited from its ancestors (a child may add, not remove)."""
        schema: dict[str, dict] = {}
        for node in [*self.get_ancestors(), self]:
            for definition in node.attribute_schema or []:
                schema[definition["name"]] = definition
        return list(schema.values())
