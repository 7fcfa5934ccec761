"""PostgreSQL-only guarantees the database keeps even against raw SQL:

- the ledger (transactions, entries) and the order audit trail are append-only: a trigger refuses UPDATE and
  DELETE (TRUNCATE, used only by test teardown, is not a row operation and stays possible);
- two active bookings of a capacity-1 listing never overlap: an exclusion constraint over
  (listing, [starts_at, ends_at)) with btree_gist, for orders that still hold their slot. The states that give the
  slot back (declined, expired, cancelled) are orders.models.RELEASED_HOLD_STATES.

SQLite (the embedded default) has neither: the services refuse the same things, and SQLite runs one writer at a
time (transaction_mode IMMEDIATE), so the booking check and its insert cannot interleave.
"""

from django.db import migrations

APPEND_ONLY_TABLES = ["orders_ledgertransaction", "orders_entry", "orders_orderevent"]

FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """
    CREATE OR REPLACE FUNCTION orders_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql
    """,
    *[
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION orders_refuse_change()"
        for table in APPEND_ONLY_TABLES
    ],
    """
    ALTER TABLE orders_order ADD CONSTRAINT order_booking_no_overlap
    EXCLUDE USING gist (listing_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (exclusive_slot AND state NOT IN ('declined', 'expired', 'cancelled'))
    """,
]
BACKWARDS = [
    "ALTER TABLE orders_order DROP CONSTRAINT IF EXISTS order_booking_no_overlap",
    *[f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in APPEND_ONLY_TABLES],
    "DROP FUNCTION IF EXISTS orders_refuse_change()",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARDS:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARDS:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
