"""PostgreSQL-only search indexes: a GIN index on the full-text vector and trigram indexes for typo-tolerant
matching of titles. SQLite (the embedded default) searches without them."""

from django.db import migrations

FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS listing_search_vector_gin ON listings_listing USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS listing_title_trgm ON listings_listing USING gin (title gin_trgm_ops)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS listing_title_trgm",
    "DROP INDEX IF EXISTS listing_search_vector_gin",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARDS:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARDS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("listings", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
