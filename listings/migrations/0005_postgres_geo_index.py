"""PostgreSQL only: a GiST index on listings' positions on the earth (the cube and earthdistance extensions, both
in PostgreSQL's contrib, shipped with Debian's postgresql package), so a radius search reads the listings inside
the circle's bounding cube and "nearest first" walks the index in distance order (KNN) instead of computing the
distance of every listing in a city. SQLite, the embedded default, uses a latitude/longitude box instead."""

from django.db import migrations

FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS cube",
    "CREATE EXTENSION IF NOT EXISTS earthdistance",
    "CREATE INDEX IF NOT EXISTS listing_earth_gist ON listings_listing "
    "USING gist (ll_to_earth(latitude::float8, longitude::float8)) WHERE status = 'published'",
]
BACKWARDS = ["DROP INDEX IF EXISTS listing_earth_gist"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARDS:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARDS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("listings", "0004_ratings")]
    operations = [migrations.RunPython(forwards, backwards)]
