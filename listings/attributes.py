"""Category attribute schemas: what a listing in the category may describe (condition, size, skill level...).

A schema is a list of definitions: {"name", "label", "type": "choice"|"integer"|"boolean"|"text", "choices",
"required", "min", "max", "filterable"}. It drives the listing form, the validation of a listing's attributes and
the search filters of the category.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ATTRIBUTE_TYPES = {"choice", "integer", "boolean", "text"}
# No double underscore: attribute names become JSON key lookups in queries (attributes__<name>).
NAME_PATTERN = re.compile(r"^[a-z](?:[a-z0-9]|_(?!_)){0,39}$")


def schema_validate(schema: Any) -> list[dict[str, Any]]:
    """Checks a schema that staff edit in the admin."""
    if not isinstance(schema, list):
        raise ValidationError(_("The schema must be a list of attribute definitions."))
    names: set[str] = set()
    for position, definition in enumerate(schema, start=1):
        if not isinstance(definition, dict):
            raise ValidationError(_("Attribute %(n)s must be an object.") % {"n": position})
        name = definition.get("name", "")
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise ValidationError(_("Attribute %(n)s needs a lower-case name.") % {"n": position})
        if name in names:
            raise ValidationError(_("Attribute %(name)s appears twice.") % {"name": name})
        names.add(name)
        if definition.get("type") not in ATTRIBUTE_TYPES:
            raise ValidationError(_("Attribute %(name)s has an unknown type.") % {"name": name})
        if definition["type"] == "choice":
            choices = definition.get("choices")
            if not isinstance(choices, list) or not choices or not all(isinstance(c, str) for c in choices):
                raise ValidationError(_("Attribute %(name)s needs a list of choices.") % {"name": name})
    return schema


def attributes_validate(schema: list[dict[str, Any]], values: Any) -> dict[str, Any]:
    """Returns the listing's attributes cleaned against the schema; errors are keyed `attributes.<name>`."""
    if values in (None, ""):
        values = {}
    if not isinstance(values, dict):
        raise ValidationError({"attributes": [_("Attributes must be an object.")]})
    known = {definition["name"]: definition for definition in schema}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name in values:
        if name not in known:
            errors[f"attributes.{name}"] = [_("This category has no such attribute.")]
    for name, definition in known.items():
        value = values.get(name)
        if value in (None, ""):
            if definition.get("required"):
                errors[f"attributes.{name}"] = [_("This field is required.")]
            continue
        kind = definition["type"]
        if kind == "choice":
            if value not in definition["choices"]:
                errors[f"attributes.{name}"] = [
                    _("Choose one of: %(choices)s.") % {"choices": ", ".join(definition["choices"])}
                ]
                continue
        elif kind == "integer":
            try:
                value = int(value)
            except (TypeError, ValueError):
                errors[f"attributes.{name}"] = [_("Enter a whole number.")]
                continue
            if "min" in definition and value < definition["min"]:
                errors[f"attributes.{name}"] = [_("Must be at least %(min)s.") % {"min": definition["min"]}]
                continue
            if "max" in definition and value > definition["max"]:
                errors[f"attributes.{name}"] = [_("Must be at most %(max)s.") % {"max": definition["max"]}]
                continue
        elif kind == "boolean":
            if isinstance(value, str):
                value = value.lower() in {"1", "true", "yes", "on"}
            value = bool(value)
        else:
            value = str(value).strip()[:200]
        cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    return cleaned
