"""PostgreSQL only: a GIN index on listings' attributes, so a search filtering by a category's attributes
(`attributes @> '{"size": "L"}'`) combines it with the category and price indexes instead of reading every listing
of the category."""

from django.db import migrations

FORWARDS = [
    "CREATE INDEX IF NOT EXISTS listing_attributes_gin ON listings_listing "
    "USING gin (attributes jsonb_path_ops) WHERE status = 'published'",
]
BACKWARDS = ["DROP INDEX IF EXISTS listing_attributes_gin"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARDS:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARDS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("listings", "0005_postgres_geo_index")]
    operations = [migrations.RunPython(forwards, backwards)]
