"""`make bench`: search and listing-page latency on a throwaway PostgreSQL filled with many listings.

Starts its own PostgreSQL the way the test harness does (`tests.harness.start_postgres`), points DATABASE_URL at it
before Django is configured, migrates, bulk-loads N listings (COPY, search vectors and indexes built in bulk SQL),
then times requests through the real views with django.test.Client: server time per request (URL routing,
middleware, view, selectors, template) and queries per request. Writes bench/results/<date>-<scale>.json and a
Markdown summary next to it, and prints the summary.

    BENCH_SCALE=small|default|large|<number>  .venv/bin/python -m bench.run   (default 100,000; large 1,000,000)

See bench/README.md for how to read the results.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
SCALES = {"small": 5_000, "default": 100_000, "large": 1_000_000}
GOAL_SCALE = 1_000_000
GOALS_MS = {"search": 50.0, "listing_page": 30.0}
CHUNK = 20_000
SELLERS = 60
PERCENTILES = (50, 95, 99)

# (name, latitude, longitude, share of listings, currency)
CITIES = [
    ("London", 51.5072, -0.1276, 30, "GBP"),
    ("Manchester", 53.4808, -2.2426, 12, "GBP"),
    ("Bristol", 51.4545, -2.5879, 10, "GBP"),
    ("Leeds", 53.8008, -1.5491, 9, "GBP"),
    ("York", 53.9600, -1.0873, 5, "GBP"),
    ("Glasgow", 55.8642, -4.2518, 8, "GBP"),
    ("Cardiff", 51.4816, -3.1791, 6, "GBP"),
    ("Madrid", 40.4168, -3.7038, 20, "EUR"),
]
AREAS = ["centre", "north", "south", "east", "west", "old town", "riverside", "market quarter"]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def scale_parse(value: str | int | None) -> tuple[str, int]:
    """("default", 100000) from "", "default", "small", "large" or a number such as "20000" or "20_000"."""
    if isinstance(value, int):
        return str(value), value
    text = (value or "default").strip().lower()
    if text in SCALES:
        return text, SCALES[text]
    try:
        number = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise SystemExit(f"BENCH_SCALE must be small, default, large or a number, not {value!r}") from None
    if number < 50:
        raise SystemExit("BENCH_SCALE must be at least 50 listings")
    return str(number), number


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), so p99 of 20 samples is near the maximum."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = math.floor(k), math.ceil(k)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


# --- Database and Django ----------------------------------------------------------------------------------------


def database_start(workdir: Path) -> str:
    """A throwaway PostgreSQL, started exactly as the test harness starts it, with an empty `guildhall` database."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import psycopg

    from tests.harness import start_postgres

    url = start_postgres(workdir)
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE guildhall")
        # Bulk loading only: index builds get memory and checkpoints stay out of the way. Nothing here changes
        # how queries are planned or run.
        conn.execute("ALTER SYSTEM SET maintenance_work_mem = '1GB'")
        conn.execute("ALTER SYSTEM SET max_wal_size = '8GB'")
        # Tuned as a production server on this machine would be (the usual PGTune-style starting point): a
        # quarter of the memory for shared buffers (at most 4 GB), half as the OS cache estimate, SSD page costs.
        # The harness's defaults (128 MB) suit throwaway test databases, not a million listings.
        for name, value in PRODUCTION_SETTINGS.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")  # our constants
    _postgres_restart(workdir)
    return url


def _memory_mb() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)


PRODUCTION_SETTINGS = {
    "shared_buffers": f"{min(_memory_mb() // 4, 4096)}MB",
    "effective_cache_size": f"{_memory_mb() // 2}MB",
    "random_page_cost": "1.1",
    "effective_io_concurrency": "200",
    "work_mem": "16MB",
    "jit": "off",  # JIT compiles for tens of milliseconds on short queries: off, as usual for web workloads
}


def _postgres_restart(workdir: Path) -> None:
    """shared_buffers takes effect on a restart; pg_ctl restarts with the options the harness started it with."""
    from tests.harness import _postgres_bindir

    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = workdir / "pg" / "data"
    subprocess.run(  # noqa: S603 - our own binary and paths
        [*prefix, f"{_postgres_bindir()}/pg_ctl", "-D", str(data), "-w", "-m", "fast", "restart"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def django_configure(database_url: str, workdir: Path) -> None:
    """Environment first, then django.setup(): settings read DATABASE_URL once, at import."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["VAR_DIR"] = str(workdir / "var")
    os.environ["DJANGO_SETTINGS_MODULE"] = "hub.settings"
    os.environ["DEBUG"] = "true"  # static files without a collectstatic manifest; see README
    os.environ.pop("REDIS_URL", None)  # local-memory cache: the bench measures the database, not a network hop
    # The API's anonymous throttle (60/min) would answer 429 after a few requests.
    os.environ["API_THROTTLE_ANON"] = "100000000/min"
    os.environ["API_THROTTLE_USER"] = "100000000/min"
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def raw_connect(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def parallel(url: str, statements: list[str], workers: int = 2) -> None:
    """Runs independent SQL statements on `workers` connections at once (the machine has two cores)."""
    pending = list(statements)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        with raw_connect(url) as conn:
            conn.execute("SET session_replication_role = replica")  # generated rows are consistent: skip FK triggers
            while True:
                with lock:
                    if not pending or errors:
                        return
                    sql = pending.pop(0)
                try:
                    conn.execute(sql)
                except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                    errors.append(exc)
                    return

    threads = [threading.Thread(target=work) for _ in range(min(workers, len(statements)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def secondary_indexes(conn, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the table's indexes that no constraint owns (those can be dropped)."""
    rows = conn.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = %s AND i.schemaname = 'public'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)
        """,
        [table],
    ).fetchall()
    return [(name, definition) for name, definition in rows]


# --- Generated text -----------------------------------------------------------------------------------------

TITLE_PARTS: dict[str, dict[str, list[str]]] = {
    "ceramics": {
        "adjective": ["handmade", "hand-thrown", "speckled", "rustic", "vintage", "glazed", "small", "large"],
        "material": ["stoneware", "porcelain", "earthenware", "terracotta", "raku", "ceramic"],
        "noun": ["mug", "bowl", "plate", "vase", "jug", "teapot", "planter", "serving dish", "tea bowl", "cup"],
    },
    "clothing": {
        "adjective": ["vintage", "handmade", "knitted", "upcycled", "preloved", "oversized", "cropped", "classic"],
        "material": ["wool", "linen", "cotton", "denim", "silk", "leather", "merino", "cashmere", "tweed"],
        "noun": ["jumper", "jacket", "dress", "shirt", "coat", "scarf", "skirt", "trousers", "cardigan", "hat"],
    },
    "home": {
        "adjective": ["vintage", "handmade", "restored", "mid-century", "painted", "reclaimed", "antique", "modern"],
        "material": ["oak", "pine", "walnut", "teak", "rattan", "brass", "copper", "marble", "linen", "wool"],
        "noun": ["chair", "table", "lamp", "rug", "cushion", "mirror", "shelf", "bench", "basket", "cabinet"],
    },
    "lessons": {
        "adjective": ["friendly", "relaxed", "small-group", "one-to-one", "weekend", "evening", "online", "private"],
        "material": ["guitar", "piano", "pottery", "spanish", "french", "yoga", "watercolour", "drawing", "baking"],
        "noun": ["lessons", "classes", "workshop", "course", "tutoring", "sessions"],
    },
    "repairs": {
        "adjective": ["fast", "friendly", "mobile", "same-day", "expert", "affordable", "careful", "local"],
        "material": ["bicycle", "bike", "phone", "laptop", "watch", "jewellery", "clothing", "shoe", "furniture"],
        "noun": ["repair", "service", "tune-up", "alterations", "restoration", "fixing"],
    },
    "tools": {
        "adjective": ["cordless", "petrol", "electric", "heavy-duty", "compact", "professional", "garden", "large"],
        "material": ["drill", "hedge trimmer", "pressure washer", "ladder", "lawnmower", "tile cutter", "sander"],
        "noun": ["hire", "rental", "to borrow", "for the weekend", "with accessories", "kit"],
    },
    "spaces": {
        "adjective": ["bright", "quiet", "spacious", "shared", "private", "cosy", "central", "garden"],
        "material": ["photography", "pottery", "art", "rehearsal", "meeting", "workshop", "kitchen", "yoga"],
        "noun": ["studio", "room", "space", "bench", "cabin", "loft", "terrace"],
    },
}
TITLE_SHAPES = [
    "{adjective} {material} {noun}",
    "{material} {noun}",
    "{adjective} {material} {noun} in {city}",
    "{material} {noun}, {adjective}",
    "{adjective} {noun} of {material}",
]


class TextMaker:
    """Titles from curated parts and descriptions from a few thousand real words drawn with a Zipf law, so a few
    words land in most listings and most words in very few, as in real text."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        words: list[str] = []
        for line in (HERE / "vocabulary.txt").read_text().splitlines():
            if not line.startswith("#"):
                words.extend(line.split())
        self.words = list(dict.fromkeys(words))
        self.cum_weights = list(itertools.accumulate(1.0 / (rank + 2) for rank in range(len(self.words))))

    def title(self, category: str, city: str) -> str:
        parts = TITLE_PARTS[category]
        shape = self.rng.choice(TITLE_SHAPES)
        text = shape.format(
            adjective=self.rng.choice(parts["adjective"]),
            material=self.rng.choice(parts["material"]),
            noun=self.rng.choice(parts["noun"]),
            city=city,
        )
        return text[0].upper() + text[1:]

    def sentence(self, length: int) -> str:
        words = self.rng.choices(self.words, cum_weights=self.cum_weights, k=length)
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."

    def description(self, title: str, category: str) -> str:
        parts = TITLE_PARTS[category]
        lead = (
            f"{title}. {self.rng.choice(parts['adjective']).capitalize()} and "
            f"{self.rng.choice(['well made', 'carefully kept', 'ready to use', 'great value', 'easy to collect'])}."
        )
        body = " ".join(self.sentence(self.rng.randint(7, 15)) for _ in range(self.rng.randint(3, 6)))
        extra = ""
        if self.rng.random() < 0.3:
            extra = "\n\n" + "\n".join(f"- {self.sentence(self.rng.randint(3, 6))}" for _ in range(3))
        return f"{lead}\n\n{body}{extra}"

    def by_rank(self, start: int, stop: int) -> list[str]:
        return self.words[start:stop]


# --- Seeding ------------------------------------------------------------------------------------------------

LEAVES = {
    # leaf category slug: (kind, share, price range in minor units, price units)
    "ceramics": ("item", 16, (800, 20000), ["each"]),
    "clothing": ("item", 20, (500, 30000), ["each"]),
    "home": ("item", 24, (1000, 90000), ["each"]),
    "lessons": ("booking", 14, (1500, 8000), ["hour"]),
    "repairs": ("booking", 10, (1500, 9000), ["hour"]),
    "tools": ("booking", 9, (800, 6000), ["day"]),
    "spaces": ("booking", 7, (1500, 30000), ["hour", "day", "night"]),
}
TAGS = [
    "handmade", "vintage", "gift", "eco", "local", "upcycled", "kids", "outdoor", "kitchen", "garden", "art",
    "music", "craft", "wood", "wool", "cotton", "linen", "ceramic", "tools", "diy", "lesson", "beginner",
    "weekend", "evening", "online", "repair", "rental", "studio", "retro", "antique", "modern", "minimal",
]  # fmt: skip


def _attributes(rng: random.Random, schema: list[dict], words: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for definition in schema:
        if not definition.get("required") and rng.random() < 0.25:
            continue
        kind = definition["type"]
        if kind == "choice":
            values[definition["name"]] = rng.choice(definition["choices"])
        elif kind == "integer":
            low, high = definition.get("min", 0), definition.get("max", 1000)
            values[definition["name"]] = min(high, max(low, int(rng.lognormvariate(math.log(low + 60), 0.6))))
        elif kind == "boolean":
            values[definition["name"]] = rng.random() < 0.5
        else:
            values[definition["name"]] = rng.choice(words)
    return values


def _members_create(rng: random.Random) -> list[Any]:
    from community.models import Member, Profile, Verification, VerificationKind, VerificationStatus

    sellers = []
    for index in range(SELLERS):
        city = CITIES[index % len(CITIES)]
        member = Member.objects.create_user(email=f"bench-seller-{index}@bench.guildhall.test", password=None)
        Profile.objects.filter(member=member).update(
            display_name=f"Bench seller {index}", location_name=city[0], seller_stage="growing"
        )
        if index % 3 == 0:
            Verification.objects.create(
                member=member, kind=VerificationKind.GOVERNMENT_ID, status=VerificationStatus.APPROVED
            )
        sellers.append(member)
    return sellers


def _shared_image(seller) -> int:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from wagtail.images import get_image_model
    from wagtail.models import Collection

    from listings.demo import photo_bytes

    upload = SimpleUploadedFile("bench.jpg", photo_bytes("Guildhall bench", "home", 0), content_type="image/jpeg")
    image = get_image_model().objects.create(
        title="Bench photo", file=upload, collection=Collection.get_first_root_node(), uploaded_by_user=seller
    )
    for spec in ("fill-400x300", "max-1200x900"):
        image.get_rendition(spec)
    return image.pk


def _listing_columns() -> tuple[list[str], dict[str, Any]]:
    """The listing table's columns for COPY, and a constant for each one the generator does not fill (so a field
    another change adds with a default does not break the bench)."""
    from listings.models import Listing

    generated = {
        "id", "seller_id", "category_id", "kind", "status", "title", "slug", "description", "price_amount",
        "currency", "price_unit", "quantity", "ships", "pickup", "capacity", "lead_time_hours", "max_advance_days",
        "location_name", "latitude", "longitude", "attributes", "published_at", "created_at", "updated_at",
        "available_weekdays",
    }  # fmt: skip
    constants: dict[str, Any] = {}
    columns = []
    for model_field in Listing._meta.concrete_fields:
        column = model_field.column
        if column == "search_vector":
            continue
        columns.append(column)
        if column in generated:
            continue
        if model_field.has_default():
            value = model_field.get_default()
            constants[column] = json.dumps(value) if isinstance(value, dict | list) else value
        elif model_field.null:
            constants[column] = None
        else:
            raise SystemExit(f"bench: listings_listing.{column} has no default; teach bench/run.py to fill it")
    return columns, constants


# The weekdays of the five weekly plans seed() gives bookings (plan = id % 5), as Listing.available_weekdays bits.
PLAN_WEEKDAYS = {0: 0b0011111, 1: 0b1100000, 2: 0b0100101, 3: 0b1111111, 4: 0b0001010}


def _listing_rows(
    n: int, start_id: int, rng: random.Random, text: TextMaker, sellers: list[Any], categories: dict[str, Any]
) -> Iterator[tuple[dict[str, Any], list[str]]]:
    from django.utils.text import slugify

    leaves = list(LEAVES)
    leaf_weights = [LEAVES[slug][1] for slug in leaves]
    city_weights = [city[3] for city in CITIES]
    schemas = {slug: categories[slug].effective_schema() for slug in leaves}
    material_words = text.by_rank(0, 400)
    now = datetime.now(UTC)
    for offset in range(n):
        listing_id = start_id + offset
        slug = rng.choices(leaves, weights=leaf_weights)[0]
        kind, _share, (low, high), units = LEAVES[slug]
        name, lat, lng, _weight, currency = rng.choices(CITIES, weights=city_weights)[0]
        title = text.title(slug, name)[:120]
        published = now - timedelta(seconds=rng.randint(0, 730 * 86400))
        roll = rng.random()
        status = "published" if roll < 0.96 else ("paused" if roll < 0.98 else "draft")
        row = {
            "id": listing_id,
            "seller_id": sellers[listing_id % len(sellers)].pk,
            "category_id": categories[slug].pk,
            "kind": kind,
            "status": status,
            "title": title,
            "slug": f"{slugify(title)[:100].strip('-') or 'listing'}-{listing_id}",
            "description": text.description(title, slug),
            "price_amount": int(math.exp(rng.uniform(math.log(low), math.log(high)))),
            "currency": currency,
            "price_unit": rng.choice(units),
            "quantity": rng.randint(1, 20) if kind == "item" else 1,
            "ships": kind == "item" and rng.random() < 0.6,
            "pickup": kind == "item",
            "capacity": 1 if kind == "item" else rng.choice([1, 1, 2, 4, 6, 12]),
            "lead_time_hours": 24,
            "max_advance_days": 90,
            "available_weekdays": PLAN_WEEKDAYS[listing_id % 5] if kind == "booking" else 0,
            "location_name": f"{name} {rng.choice(AREAS)}",
            "latitude": f"{lat + rng.gauss(0, 0.06):.6f}",
            "longitude": f"{lng + rng.gauss(0, 0.09):.6f}",
            "attributes": json.dumps(_attributes(rng, schemas[slug], material_words)),
            "published_at": published if status != "draft" else None,
            "created_at": published - timedelta(hours=rng.randint(1, 72)),
            "updated_at": published,
        }
        tags = rng.sample(TAGS, rng.randint(0, 4))
        yield row, tags


def seed(n: int, url: str, rng: random.Random) -> dict[str, Any]:
    """Bulk-loads `n` listings with their photos, availability and tags; returns timings per phase."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection
    from taggit.models import Tag

    from listings.demo import seed_categories
    from listings.models import Listing

    phases: dict[str, float] = {}
    started = time.perf_counter()

    def phase(name: str, since: float) -> float:
        now = time.perf_counter()
        phases[name] = round(now - since, 2)
        log(f"{name}: {phases[name]} s")
        return now

    call_command("migrate", verbosity=0, interactive=False)
    mark = phase("migrate", started)
    categories = seed_categories()
    sellers = _members_create(rng)
    image_id = _shared_image(sellers[0])
    Tag.objects.bulk_create([Tag(name=name, slug=name) for name in TAGS], ignore_conflicts=True)
    tag_ids = dict(Tag.objects.filter(name__in=TAGS).values_list("name", "id"))
    listing_type = ContentType.objects.get_for_model(Listing).pk
    connection.close()
    mark = phase("members, categories, photo", mark)

    text = TextMaker(rng)
    columns, constants = _listing_columns()
    tables = [
        "listings_listing",
        "listings_listingphoto",
        "listings_availabilityrule",
        "listings_availabilityexception",
        "taggit_taggeditem",
    ]
    with raw_connect(url) as conn:
        conn.execute("SET session_replication_role = replica")
        dropped = [item for table in tables for item in secondary_indexes(conn, table)]
        for name, _definition in dropped:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute("CREATE UNLOGGED TABLE bench_listing_stage (LIKE listings_listing INCLUDING DEFAULTS)")
        start_id = (conn.execute("SELECT coalesce(max(id), 0) FROM listings_listing").fetchone()[0] or 0) + 1
        column_list = ", ".join(f'"{c}"' for c in columns)
        rows = _listing_rows(n, start_id, rng, text, sellers, categories)
        done = 0
        while done < n:
            size = min(CHUNK, n - done)
            tagged: list[tuple[int, int, int]] = []
            with conn.cursor() as cursor:
                with cursor.copy(f"COPY bench_listing_stage ({column_list}) FROM STDIN") as copy:
                    for row, tags in itertools.islice(rows, size):
                        copy.write_row([row[c] if c in row else constants[c] for c in columns])
                        tagged.extend((row["id"], listing_type, tag_ids[tag]) for tag in tags)
                with cursor.copy("COPY taggit_taggeditem (object_id, content_type_id, tag_id) FROM STDIN") as copy:
                    for item in tagged:
                        copy.write_row(item)
            done += size
            if done % 100_000 == 0 or done == n:
                log(f"generated {done:,} / {n:,} listings")
        mark = phase("generate and COPY", mark)
        vector = (
            "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')"
        )
        parallel(
            url,
            [
                f"INSERT INTO listings_listing ({column_list}, search_vector) "  # noqa: S608 - our own constants
                f"SELECT {column_list}, {vector} FROM bench_listing_stage WHERE id % 2 = {k}"
                for k in (0, 1)
            ],
        )
        conn.execute("DROP TABLE bench_listing_stage")
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('listings_listing', 'id'), (SELECT max(id) FROM listings_listing))"
        )
        mark = phase("search vectors (INSERT ... SELECT to_tsvector)", mark)
        # One shared photo per listing; weekly plans from five patterns; a few blocked dates.
        plans = (
            "(VALUES (0, 0, '09:00'::time, '17:00'::time), (0, 1, '09:00', '17:00'), (0, 2, '09:00', '17:00'), "
            "(0, 3, '09:00', '17:00'), (0, 4, '09:00', '17:00'), (1, 5, '10:00', '16:00'), (1, 6, '10:00', '16:00'), "
            "(2, 0, '18:00', '21:00'), (2, 2, '18:00', '21:00'), (2, 5, '10:00', '13:00'), (3, 0, '08:00', '20:00'), "
            "(3, 1, '08:00', '20:00'), (3, 2, '08:00', '20:00'), (3, 3, '08:00', '20:00'), (3, 4, '08:00', '20:00'), "
            "(3, 5, '08:00', '20:00'), (3, 6, '08:00', '20:00'), (4, 1, '08:00', '12:00'), (4, 3, '08:00', '12:00'))"
        )
        parallel(
            url,
            [
                "INSERT INTO listings_listingphoto (listing_id, image_id, alt, position) "  # noqa: S608
                f"SELECT id, {int(image_id)}, left(title, 200), 1 FROM listings_listing",
                "INSERT INTO listings_availabilityrule (listing_id, weekday, start_time, end_time) "  # noqa: S608
                f"SELECT l.id, p.column2, p.column3, p.column4 FROM listings_listing l JOIN {plans} AS p "
                "ON p.column1 = l.id % 5 WHERE l.kind = 'booking'",
            ],
        )
        conn.execute(
            "INSERT INTO listings_availabilityexception (listing_id, date, blocked) "
            "SELECT id, current_date + (id % 30)::int, true FROM listings_listing "
            "WHERE kind = 'booking' AND id % 10 = 0"
        )
        mark = phase("photos, availability", mark)
        log(f"rebuilding {len(dropped)} indexes")
        parallel(url, [definition for _name, definition in dropped])
        mark = phase("indexes", mark)
        for table in tables:
            conn.execute(f"VACUUM ANALYZE {table}")
        conn.execute("ANALYZE")
        mark = phase("vacuum analyze", mark)
        from listings.services import search_terms_rebuild

        terms = search_terms_rebuild()
        connection.close()
        mark = phase(f"search vocabulary ({terms:,} words)", mark)
        sizes = dict(
            conn.execute(
                "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class WHERE relname = ANY(%s)",
                [tables],
            ).fetchall()
        )
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - our table names
            for table in tables
        }
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "seconds_without_migrate": round(time.perf_counter() - started - phases["migrate"], 1),
        "phases": phases,
        "rows": counts,
        "sizes": sizes,
    }


# --- Measuring ----------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One kind of request, e.g. a one-word search for a very common word."""

    name: str
    group: str  # search | listing_page | api_search | api_detail
    describe: str
    params: Callable[[random.Random], dict[str, Any]]
    samples: list[float] = field(default_factory=list)
    db_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    example: str = ""
    result_count: int | None = None
    slowest: list[tuple[float, str]] = field(default_factory=list)
    slowest_ms: float = 0.0
    slowest_count: int = 0


def common_words(text: TextMaker) -> list[str]:
    """The ten most common words of the vocabulary that PostgreSQL's English configuration does not drop."""
    stop = {"very", "only", "more", "each", "over", "just", "back", "still", "also", "well", "made"}
    return [w for w in text.by_rank(0, 30) if w not in stop][:10]


def cases_build(text: TextMaker, slugs: list[str], ids: list[int], today: date) -> list[Case]:
    common = common_words(text)
    medium = text.by_rank(150, 600)
    rare = text.by_rank(1800, len(text.words))
    nouns = [n for parts in TITLE_PARTS.values() for n in parts["noun"] + parts["material"] if n.isalpha()]
    long_nouns = [n for n in nouns if len(n) >= 5]

    def typo(word: str, rng: random.Random) -> str:
        i = rng.randrange(1, len(word) - 1)
        return word[:i] + word[i + 1 :]

    city = {name: (lat, lng) for name, lat, lng, _w, _c in CITIES}

    def geo(rng: random.Random, radius: int) -> dict[str, Any]:
        lat, lng = city[rng.choice(list(city))]
        return {"lat": lat, "lng": lng, "radius_km": radius}

    def week(rng: random.Random, days: int) -> dict[str, Any]:
        start = today + timedelta(days=rng.randint(1, 20))
        return {"available_from": start.isoformat(), "available_to": (start + timedelta(days=days - 1)).isoformat()}

    def search(name: str, describe: str, params: Callable[[random.Random], dict[str, Any]]) -> Case:
        return Case(name, "search", describe, params)

    cases = [
        search("q: 1 very common word", "one of the 10 most common words", lambda r: {"q": r.choice(common)}),
        search("q: 1 medium word", "a word of rank 150-600", lambda r: {"q": r.choice(medium)}),
        search("q: 1 rare word", "a word of rank 1800+", lambda r: {"q": r.choice(rare)}),
        search(
            "q: 2 very common words",
            "two of the most common words",
            lambda r: {"q": " ".join(r.sample(common, 2))},
        ),
        search(
            "q: common + rare word", "a common and a rare word", lambda r: {"q": f"{r.choice(common)} {r.choice(rare)}"}
        ),
        search("q: title noun", "a title noun such as 'mug'", lambda r: {"q": r.choice(nouns)}),
        search("q: typo", "a title noun with a letter missing", lambda r: {"q": typo(r.choice(long_nouns), r)}),
        search("browse: newest", "no filter, newest first (the landing search)", lambda r: {}),
        search(
            "category",
            "a top-level category (with descendants)",
            lambda r: {"category": r.choice(["goods", "services", "rentals"])},
        ),
        search(
            "category + attribute + price",
            "clothing, a size, a price range",
            lambda r: {
                "category": "clothing",
                "attr.size": r.choice(["S", "M", "L", "XL"]),
                "min_price": 10,
                "max_price": 80,
            },
        ),
        search("geo 10 km", "around a city, 10 km, nearest first", lambda r: {**geo(r, 10), "sort": "distance"}),
        search("geo 25 km + q", "a common word within 25 km", lambda r: {**geo(r, 25), "q": r.choice(common)}),
        search("available 1 day", "bookings free on one date", lambda r: {"kind": "booking", **week(r, 1)}),
        search("available 7 days", "bookings free in a 7-day range", lambda r: {"kind": "booking", **week(r, 7)}),
        search("sort price + page 5", "cheapest first, fifth page", lambda r: {"sort": "price_asc", "page": 5}),
        Case("listing page", "listing_page", "a random published listing", lambda r: {"slug": r.choice(slugs)}),
        Case("api: q common word", "api_search", "GET /api/v1/listings?q=<common>", lambda r: {"q": r.choice(common)}),
        Case("api: geo 10 km", "api_search", "GET /api/v1/listings?lat&lng&radius_km", lambda r: geo(r, 10)),
        Case("api: listing", "api_detail", "GET /api/v1/listings/<id>", lambda r: {"id": r.choice(ids)}),
    ]
    return cases


def _minor(params: dict[str, Any]) -> dict[str, Any]:
    """The search page takes prices in major units; the selectors and the API in minor units."""
    return {k: (int(v) * 100 if k in {"min_price", "max_price"} else v) for k, v in params.items()}


def request_for(case: Case, params: dict[str, Any], mode: str, client) -> tuple[str, Callable[[], int]]:
    """(a readable URL, a callable that makes the request and returns an HTTP-like status)."""
    from django.contrib.auth.models import AnonymousUser
    from django.http import Http404, QueryDict

    from listings import selectors

    if case.group == "listing_page":
        url = f"/listings/{params['slug']}/"
        if mode == "views":
            return url, lambda: client.get(url).status_code

        def detail() -> int:
            try:
                selectors.listing_public_get(slug=params["slug"], member=AnonymousUser())
            except Http404:
                return 404
            return 200

        return url + " (selector)", detail
    if case.group == "api_detail":
        url = f"/api/v1/listings/{params['id']}"
        return url, lambda: client.get(url).status_code
    if case.group == "api_search":
        url = "/api/v1/listings?" + urlencode(_minor(params))
        return url, lambda: client.get(url).status_code
    url = "/listings/?" + urlencode(params)
    if mode == "views":
        return url, lambda: client.get(url).status_code
    query = QueryDict(urlencode(_minor(params)))

    def search() -> int:
        selectors.listings_search(selectors.search_params_parse(query))
        return 200

    return url + " (selector)", search


def views_respond(client, slug: str) -> bool:
    """True when the buyer views answer 200 (they were being built when the bench was written)."""
    try:
        return client.get("/listings/?q=new").status_code == 200 and client.get(f"/listings/{slug}/").status_code == 200
    except Exception as exc:  # noqa: BLE001 - any failure means: measure the selectors instead
        log(f"views do not respond yet ({exc.__class__.__name__}: {exc}); measuring the selectors")
        return False


def api_responds(client, listing_id: int) -> bool:
    try:
        return (
            client.get("/api/v1/listings?q=new").status_code == 200
            and client.get(f"/api/v1/listings/{listing_id}").status_code == 200
        )
    except Exception:  # noqa: BLE001
        return False


class QueryTimer:
    """connection.execute_wrapper: the time of each query (execute and transfer of its rows), in ms."""

    def __init__(self) -> None:
        self.ms: list[float] = []

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms.append((time.perf_counter() - began) * 1000)


def measure(cases: list[Case], mode: str, samples: int, budget_s: float, rng: random.Random) -> None:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(raise_request_exception=False)
    for case in cases:
        target = samples * (5 if case.group in {"listing_page", "api_detail"} else 1)
        deadline = time.perf_counter() + budget_s
        for _warm in range(2):  # templates, the category tree and the connection are warm before timing
            request_for(case, case.params(rng), mode, client)[1]()
        while len(case.samples) < target and (len(case.samples) < 3 or time.perf_counter() < deadline):
            url, call = request_for(case, case.params(rng), mode, client)
            case.example = case.example or url
            reset_queries()
            timer = QueryTimer()
            with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
                began = time.perf_counter()
                status = call()
                elapsed = (time.perf_counter() - began) * 1000
            sqls = [q["sql"] for q in captured.captured_queries]
            # The debug log keeps milliseconds as text rounded to 1 ms: the wrapper's clock is finer.
            times = (
                timer.ms if len(timer.ms) == len(sqls) else [float(q["time"]) * 1000 for q in captured.captured_queries]
            )
            case.samples.append(elapsed)
            case.queries.append(len(sqls))
            case.db_ms.append(sum(times))
            case.statuses[str(status)] = case.statuses.get(str(status), 0) + 1
            if elapsed > case.slowest_ms:
                case.slowest_ms = elapsed
                case.slowest_count = len(sqls)
                case.slowest = sorted(zip(times, sqls, strict=True), reverse=True)[:5]
        log(
            f"{case.name:<32} n={len(case.samples):<4} p50={percentile(case.samples, 50):8.1f} ms  "
            f"p95={percentile(case.samples, 95):8.1f} ms  queries={statistics.median(case.queries):.0f}"
        )


def result_counts(cases: list[Case], rng: random.Random) -> None:
    """How many listings each search case matches (one example each), to show what 'common' means."""
    from django.http import QueryDict

    from listings import selectors

    for case in cases:
        if case.group != "search":
            continue
        params = _minor(case.params(rng))
        try:
            queryset, _category = selectors.listings_matching(
                selectors.search_params_parse(QueryDict(urlencode(params)))
            )
            case.result_count = queryset.count()
            case.describe += f" — e.g. {urlencode(params)}"
        except Exception as exc:  # noqa: BLE001 - a count is informative only
            log(f"count for {case.name} failed: {exc}")


def keyword_share(url: str, words: list[str]) -> dict[str, float]:
    with raw_connect(url) as conn:
        total = conn.execute("SELECT count(*) FROM listings_listing").fetchone()[0] or 1
        return {
            word: round(
                conn.execute(
                    "SELECT count(*) FROM listings_listing WHERE search_vector @@ websearch_to_tsquery('english', %s)",
                    [word],
                ).fetchone()[0]
                / total,
                3,
            )
            for word in words
        }


def explain(url: str, sql: str) -> str:
    with raw_connect(url) as conn:
        rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql).fetchall()
    return "\n".join(row[0] for row in rows)


def summary_of(case: Case) -> dict[str, Any]:
    return {
        "name": case.name,
        "group": case.group,
        "describe": case.describe,
        "example": case.example,
        "samples": len(case.samples),
        **{f"p{p}": round(percentile(case.samples, p), 2) for p in PERCENTILES},
        "mean": round(statistics.fmean(case.samples), 2) if case.samples else None,
        "max": round(max(case.samples), 2) if case.samples else None,
        "db_ms_p50": round(percentile(case.db_ms, 50), 2),
        "queries_median": statistics.median(case.queries) if case.queries else None,
        "queries_max": max(case.queries) if case.queries else None,
        "statuses": case.statuses,
        "matches": case.result_count,
        "slowest_queries_ms": [round(ms, 2) for ms, _sql in case.slowest],
    }


def group_summary(cases: list[Case], group: str) -> dict[str, Any] | None:
    members = [c for c in cases if c.group == group and c.samples]
    if not members:
        return None
    # Each case weighs the same whatever its sample count (a slow case gets fewer samples within its time budget):
    # pool 100 evenly spaced quantiles of each case's samples.
    values = [percentile(c.samples, q + 0.5) for c in members for q in range(100)]
    queries = [q for c in members for q in c.queries]
    return {
        **{f"p{p}": round(percentile(values, p), 2) for p in PERCENTILES},
        "worst_case_p95": round(max(percentile(c.samples, 95) for c in members), 2),
        "worst_case": max(members, key=lambda c: percentile(c.samples, 95)).name,
        "samples": sum(len(c.samples) for c in members),
        "queries_median": statistics.median(queries),
        "queries_max": max(queries),
    }


# --- Report -------------------------------------------------------------------------------------------------


def busy_note(report: dict[str, Any]) -> list[str]:
    """A warning when other processes competed for the CPU (the bench itself keeps about one core busy)."""
    cpus = report["machine"]["cpus"] or 1
    load = max(report["load_average"]["before_measuring"][0], report["load_average"]["after_measuring"][0])
    if load <= cpus:
        return []
    return [
        f"⚠ The machine was busy while measuring (1-minute load average up to {load:.1f} on {cpus} cores): other "
        "processes shared the CPU, so these figures are higher than on an idle machine.",
        "",
    ]


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Bench {report['date']} — {report['scale']} ({report['listings']:,} listings)",
        "",
        f"Measured: **{report['mode_label']}**. Server time in-process (django.test.Client: routing, middleware, "
        "view, selectors, template; no network), PostgreSQL "
        f"{report['machine']['postgresql']} on {report['machine']['cpus']} cores.",
        "",
        *busy_note(report),
        "| group | p50 ms | p95 ms | p99 ms | worst case p95 | queries (median/max) | goal p95 at 1M |",
        "| --- | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for group, label in (("search", "search"), ("listing_page", "listing page"), ("api_search", "API search"),
                         ("api_detail", "API listing")):  # fmt: skip
        g = report["groups"].get(group)
        if not g:
            continue
        goal = GOALS_MS.get(group)
        goal_text = f"< {goal:.0f} ms" if goal else ""
        if goal and report["listings"] >= GOAL_SCALE:
            goal_text += " ✅" if g["worst_case_p95"] < goal else " ❌"
        lines.append(
            f"| {label} | {g['p50']:.1f} | {g['p95']:.1f} | {g['p99']:.1f} | {g['worst_case_p95']:.1f} "
            f"({g['worst_case']}) | {g['queries_median']:.0f} / {g['queries_max']} | {goal_text} |"
        )
    lines += [
        "",
        "| case | n | p50 ms | p95 ms | p99 ms | DB ms p50 | queries | matches | example |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for c in report["cases"]:
        matches = "" if c["matches"] is None else f"{c['matches']:,}"
        lines.append(
            f"| {c['name']} | {c['samples']} | {c['p50']:.1f} | {c['p95']:.1f} | {c['p99']:.1f} | "
            f"{c['db_ms_p50']:.1f} | {c['queries_median']:.0f} | {matches} | `{c['example'][:90]}` |"
        )
    share = ", ".join(f"{w} {v:.0%}" for w, v in report["keyword_share"].items())
    seed_info = report["seed"]
    if "reused" in seed_info:
        seeding = "Seeding: none; measured a database an earlier run of the same scale had loaded."
    else:
        seeding = (
            f"Seeding: {seed_info['seconds']} s ({seed_info['seconds_without_migrate']} s without migrations): "
            + ", ".join(f"{k} {v} s" for k, v in seed_info["phases"].items())
            + ". Table sizes: "
            + ", ".join(f"{k} {v}" for k, v in seed_info["sizes"].items())
            + "."
        )
    lines += [
        "",
        f"Share of listings matching the common words: {share}.",
        "",
        seeding,
        "",
        "PostgreSQL settings: " + ", ".join(f"{k}={v}" for k, v in report["postgres_settings"].items()) + ".",
        "",
        _mentor_intake_line(report.get("mentor_intake")),
    ]
    from bench import forum, websockets

    for extra in (forum.markdown_lines(report.get("forum_topic")), websockets.markdown_lines(report.get("live_room"))):
        lines += ["", *extra] if extra else []
    lines += _checkout_lines(report.get("checkout"))
    for title, data in report["explain"].items():
        lines += ["", f"## EXPLAIN ANALYZE: {title}", "", f"{data['note']}", "", "```", data["plan"], "```"]
    return "\n".join(lines) + "\n"


def run(
    scale: str | int | None = None,
    *,
    out: Path | None = None,
    samples: int = 20,
    budget_s: float = 30.0,
    seed_value: int = 20240601,
    database_url: str | None = None,
) -> Path:
    """Runs the whole bench; returns the JSON file written. With `database_url`, measures a database an earlier
    run loaded (same scale and seed) instead of starting and loading a new one: repeat measurements in minutes."""
    name, n = scale_parse(scale if scale is not None else os.environ.get("BENCH_SCALE"))
    out = Path(out) if out else RESULTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed_value)
    workdir = Path(tempfile.mkdtemp(prefix="guildhall-bench-"))
    os.chmod(workdir, 0o755)  # noqa: S103 - the postgres user runs the server from inside it
    atexit_cleanup(workdir)
    if database_url:
        log(f"scale {name}: measuring the database at {database_url}")
        url = database_url
        django_configure(url, workdir)
        seed_info: dict[str, Any] = {"reused": database_url}
    else:
        log(f"scale {name}: {n:,} listings; PostgreSQL in {workdir}")
        url = database_start(workdir)
        django_configure(url, workdir)
        seed_info = seed(n, url, rng)
    from django.db import connection

    text = TextMaker(random.Random(seed_value + 1))
    with raw_connect(url) as conn:
        slugs = [
            r[0]
            for r in conn.execute(
                "SELECT slug FROM listings_listing WHERE status = 'published' ORDER BY random() LIMIT 2000"
            )
        ]
        ids = [r[0] for r in conn.execute("SELECT id FROM listings_listing WHERE status = 'published' LIMIT 2000")]
        settings_rows = conn.execute(
            "SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s)",
            [["shared_buffers", "work_mem", "effective_cache_size", "jit", "max_parallel_workers_per_gather",
              "random_page_cost", "server_version"]],
        ).fetchall()  # fmt: skip
    pg_settings = {k: f"{v}{'×' + u if u else ''}" for k, v, u in settings_rows}
    from django.test import Client

    client = Client(raise_request_exception=False)
    mode = "views" if views_respond(client, slugs[0]) else "selectors"
    cases = cases_build(text, slugs, ids, datetime.now(UTC).date())
    if not api_responds(client, ids[0]):
        log("the API does not answer 200: its cases are left out")
        cases = [c for c in cases if not c.group.startswith("api")]
    result_counts(cases, random.Random(seed_value + 2))
    load_before = os.getloadavg()
    measure(cases, mode, samples, budget_s, random.Random(seed_value + 3))
    load_after = os.getloadavg()
    share = keyword_share(url, common_words(text))

    explains: dict[str, dict[str, str]] = {}
    search_cases = [c for c in cases if c.group == "search" and c.slowest]
    picks = []
    if search_cases:
        picks.append(("slowest search case", max(search_cases, key=lambda c: percentile(c.samples, 95))))
        common_case = next((c for c in search_cases if c.name == "q: 1 very common word"), None)
        if common_case and common_case is not picks[0][1]:
            picks.append(("one very common word", common_case))
    page = next((c for c in cases if c.group == "listing_page" and c.slowest), None)
    if page:
        picks.append(("listing page", page))
    for label, case in picks:
        ms, sql = case.slowest[0]
        try:
            plan = explain(url, sql)
        except Exception as exc:  # noqa: BLE001 - a plan is informative only
            plan = f"EXPLAIN failed: {exc}"
        explains[f"{label} — {case.name}"] = {
            "note": (
                f"Slowest sample {case.slowest_ms:.1f} ms with {case.slowest_count} queries; its slowest query took "
                f"{ms:.1f} ms; the next: {', '.join(f'{m:.1f}' for m, _ in case.slowest[1:])} ms. SQL: "
                f"`{sql[:300]}{'…' if len(sql) > 300 else ''}`"
            ),
            "plan": plan,
            "sql": sql,
        }
    import django

    report = {
        "date": datetime.now(UTC).date().isoformat(),
        "scale": name,
        "listings": n,
        "mode": mode,
        "mode_label": "the real views (/listings/, /listings/<slug>/, /api/v1/listings)"
        if mode == "views"
        else "the selectors directly (listings_search, listing_public_get): the buyer views did not answer 200",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "django": django.get_version(),
            "postgresql": pg_settings.get("server_version", "?"),
            "platform": platform.platform(),
        },
        "postgres_settings": pg_settings,
        "load_average": {"before_measuring": load_before, "after_measuring": load_after},
        "samples_per_case": samples,
        "budget_seconds_per_case": budget_s,
        "seed": seed_info,
        "keyword_share": share,
        "groups": {
            g: s for g in ("search", "listing_page", "api_search", "api_detail") if (s := group_summary(cases, g))
        },
        "goals_ms_p95_at_1m": GOALS_MS,
        "cases": [summary_of(c) for c in cases],
        "explain": explains,
        "mentor_intake": _mentor_intake(),
        "forum_topic": _forum_topic(n),
        "live_room": _live_room(n, workdir),
        "checkout": _checkout(url, n),
    }
    report["search"] = report["groups"].get("search")
    report["listing_page"] = report["groups"].get("listing_page")
    stem = f"{report['date']}-{name}"
    json_path = out / f"{stem}.json"
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    text_md = markdown(report)
    (out / f"{stem}.md").write_text(text_md)
    print(text_md)
    log(f"wrote {json_path} and {stem}.md")
    connection.close()
    return json_path


def _mentor_intake() -> dict[str, Any]:
    """The mentoring programme intake (mentoring.matching.intake) on 2,000 mentees and 500 mentors."""
    from bench.matching import run as matching_run

    log("mentor intake: 2,000 mentees, 500 mentors")
    return matching_run()


def _mentor_intake_line(result: dict[str, Any] | None) -> str:
    if not result:
        return ""
    return (
        f"Mentor intake ({result['mentees']:,} mentees, {result['mentors']:,} mentors, {result['places']:,} places): "
        f"{result['seconds']} s median of {result['repeats']} ({result['seconds_fastest']} s fastest), total score "
        f"{result['total_score']:,}, {result['assigned']:,} assigned (mean score {result['mean_score']}), "
        f"{result['unassigned']:,} left for the next intake; deterministic: {result['deterministic']}."
    )


def _forum_topic(listings: int) -> dict[str, Any]:
    """A forum topic with 1,000 replies (bench/forum.py); fewer samples below the default scale."""
    from bench.forum import run as forum_run

    samples = 60 if listings >= SCALES["default"] else 12
    log(f"forum topic: 1,000 replies, {samples} page requests per visitor")
    return forum_run(replies=1000, samples=samples)


def _live_room(listings: int, workdir: Path) -> dict[str, Any] | None:
    """The live room with 1,000 websocket clients on 2 ASGI processes (bench/websockets.py); 100 clients at
    BENCH_SCALE=small and 20 (one server pair) below it; BENCH_WS_CLIENTS overrides, 0 leaves it out."""
    from bench import websockets

    default = 1000 if listings >= SCALES["default"] else 100 if listings >= SCALES["small"] else 20
    clients = int(os.environ.get("BENCH_WS_CLIENTS", default))
    if clients <= 0 or shutil.which("redis-server") is None:
        log("live room: left out (BENCH_WS_CLIENTS=0 or no redis-server)")
        return None
    pairs = websockets.COMBINATIONS if listings >= SCALES["small"] else websockets.COMBINATIONS[-1:]
    if not websockets._has("uvicorn"):
        pairs = [pair for pair in websockets.COMBINATIONS if pair[0] != "uvicorn"]
    broadcasts, burst = (30, 20) if clients >= 1000 else (10, 10)
    return websockets.run(clients=clients, broadcasts=broadcasts, burst=burst, combinations=pairs, workdir=workdir)


def _checkout(url: str, n: int) -> dict[str, Any]:
    """Checkout throughput, double booking by 16 threads and ledger_check afterwards (bench/checkout.py); fewer
    orders below the small scale, so the smoke test stays quick."""
    from bench.checkout import run as checkout_run

    return checkout_run(url=url, orders=min(1000, max(20, n // 25)), race_per_thread=200 if n >= 5_000 else 10)


def _checkout_lines(result: dict[str, Any] | None) -> list[str]:
    from bench.checkout import summary_lines

    return summary_lines(result)


def atexit_cleanup(workdir: Path) -> None:
    import atexit

    # Registered before the server starts, so it runs after the harness's stop hook (atexit runs in reverse).
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", help="small, default, large or a number (default: $BENCH_SCALE or default)")
    parser.add_argument("--out", type=Path, help=f"results folder (default: {RESULTS_DIR.relative_to(ROOT)})")
    parser.add_argument("--samples", type=int, default=int(os.environ.get("BENCH_SAMPLES", 20)))
    parser.add_argument(
        "--budget", type=float, default=float(os.environ.get("BENCH_BUDGET", 30)), help="seconds per case at most"
    )
    parser.add_argument("--database-url", help="measure a database an earlier run loaded instead of loading one")
    args = parser.parse_args(argv)
    run(args.scale, out=args.out, samples=args.samples, budget_s=args.budget, database_url=args.database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
