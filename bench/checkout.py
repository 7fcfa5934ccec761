"""Checkout throughput and double booking under load, on the bench's PostgreSQL (part of `make bench`).

1. Checkout: N orders (half items, half one-hour bookings on free slots) end to end through `order_create` then
   `order_pay` with the offline gateway's `pm_card_visa`, by 1 and by 4 worker threads (each with its own database
   connection). Reports orders per second (wall clock) and p50/p95 per checkout, from the reservation to the money
   in escrow, with the notifications and the queued emails that go with it.
2. Double booking: 16 threads each try 200 random bookings of three listings (ten days of 09:00-17:00, one to
   three hours each) through `order_create`, then the overlapping pairs of orders holding their slot are counted
   with an SQL self-join. The same workload with a naive check-then-insert (SELECT the overlaps, INSERT if none, no
   lock and no constraint) in a scratch table is the baseline.
3. `orders.ledger_check` over the whole ledger afterwards: every invariant problem found (must be none).

Runs inside the bench process after Django is configured (`bench.run`); creates its own members and listings.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

RACE_THREADS = 16
RACE_LISTINGS = 3
RACE_DAYS = 10
RACE_OFFSET_DAYS = 120  # the race's days start here, clear of the checkout bookings (a few weeks at most)
CHECKOUT_LISTINGS = 20  # of each kind: checkouts of one listing queue on its row, as they would in production
OPEN_HOURS = (9, 17)
TAKEN = "These times are already booked. Choose other times."
OVERLAPPING_PAIRS_SQL = """
    SELECT count(*) FROM {table} a
    JOIN {table} b ON b.listing_id = a.listing_id AND a.id < b.id
     AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)
    WHERE {where}
"""


def _log(message: str) -> None:
    from bench.run import log

    log(message)


def _percentile(values: list[float], p: float) -> float:
    from bench.run import percentile

    return percentile(values, p)


# --- Data ---------------------------------------------------------------------------------------------------


def _members(prefix: str, count: int) -> list[Any]:
    from community.models import Member

    return [
        Member.objects.create_user(email=f"bench-{prefix}-{index}@bench.guildhall.test", password=None)
        for index in range(count)
    ]


def _listings(sellers: list[Any], *, kind: str, count: int, tag: str) -> list[Any]:
    """Published listings written straight to the table (as the orders tests do): items with plenty of stock, or
    bookings by the hour open 09:00-17:00 every day, capacity 1, instant book."""
    from listings.models import AvailabilityRule, Category, Listing

    category = Category.objects.order_by("path").last() or Category.add_root(name="Bench", slug="bench-checkout")
    listings = []
    for index in range(count):
        fields: dict[str, Any] = {
            "seller": sellers[index % len(sellers)],
            "category": category,
            "kind": kind,
            "title": f"Bench {tag} {index}",
            "slug": f"bench-{tag}-{index}-{uuid.uuid4().hex[:8]}",
            "description": "Made for the checkout bench.",
            "status": "published",
            "published_at": datetime.now(UTC),
            "price_amount": 1000 + 137 * index,
            "currency": "GBP",
            "location_name": "Bristol",
        }
        if kind == "item":
            fields.update(price_unit="each", quantity=1_000_000)
        else:
            fields.update(
                price_unit="hour",
                capacity=1,
                lead_time_hours=0,
                max_advance_days=365,
                instant_book=True,
                cancellation_policy="moderate",
            )
        listing = Listing.objects.create(**fields)
        if kind == "booking":
            AvailabilityRule.objects.bulk_create(
                [
                    AvailabilityRule(
                        listing=listing,
                        weekday=day,
                        start_time=datetime.min.time().replace(hour=OPEN_HOURS[0]),
                        end_time=datetime.min.time().replace(hour=OPEN_HOURS[1]),
                    )
                    for day in range(7)
                ]
            )
            Listing.objects.filter(pk=listing.pk).update(available_weekdays=0b1111111)
        listings.append(listing)
    return listings


def _first_day() -> datetime:
    return datetime.now(UTC).replace(hour=OPEN_HOURS[0], minute=0, second=0, microsecond=0) + timedelta(days=2)


# --- Running work on threads -----------------------------------------------------------------------------------


def _on_threads(jobs: list[Callable[[], Any]]) -> tuple[list[Any], list[BaseException], float]:
    """Runs each job on its own thread, released together; returns results, errors and the wall time."""
    from django.db import connection

    barrier = threading.Barrier(len(jobs) + 1)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcome = job()
            with lock:
                results.append(outcome)
        except BaseException as error:  # noqa: BLE001 - reported by the caller
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return results, errors, time.perf_counter() - started


# --- 1. Checkout throughput -------------------------------------------------------------------------------------


def checkout_throughput(*, orders: int, workers: int, buyers: list[Any], plan: list[tuple]) -> dict[str, Any]:
    """`orders` checkouts from `plan` ((listing, start, end) per order, start None for an item) by `workers`."""
    from orders import services

    assert len(plan) >= orders
    queue = list(enumerate(plan[:orders]))
    lock = threading.Lock()

    def worker(index: int) -> list[float]:
        timings = []
        while True:
            with lock:
                if not queue:
                    return timings
                n, (listing, start, end) = queue.pop()
            buyer = buyers[(n + index) % len(buyers)]
            began = time.perf_counter()
            order = services.order_create(buyer=buyer, listing_id=listing.pk, start=start, end=end)
            order = services.order_pay(order_id=order.pk, buyer=buyer, payment_method="pm_card_visa")
            timings.append((time.perf_counter() - began) * 1000)
            if order.state != "paid":
                raise AssertionError(f"order {order.reference} ended {order.state}")

    results, errors, seconds = _on_threads([lambda i=i: worker(i) for i in range(workers)])
    if errors:
        raise errors[0]
    timings = [ms for part in results for ms in part]
    return {
        "workers": workers,
        "orders": len(timings),
        "seconds": round(seconds, 2),
        "orders_per_second": round(len(timings) / seconds, 1),
        "p50_ms": round(_percentile(timings, 50), 1),
        "p95_ms": round(_percentile(timings, 95), 1),
    }


def checkout_plan(items: list[Any], bookings: list[Any], count: int, rng: random.Random) -> list[tuple]:
    """Half items, half one-hour bookings, each booking on a slot of its own (none is refused)."""
    first = _first_day()
    hours = OPEN_HOURS[1] - OPEN_HOURS[0]
    slots = [(listing, day, hour) for day in range(RACE_OFFSET_DAYS) for hour in range(hours) for listing in bookings]
    plan: list[tuple] = []
    for n in range(count):
        if n % 2 == 0:
            plan.append((rng.choice(items), None, None))
        else:
            listing, day, hour = slots.pop(0)
            start = first + timedelta(days=day, hours=hour)
            plan.append((listing, start, start + timedelta(hours=1)))
    rng.shuffle(plan)
    return plan


# --- 2. Double booking ------------------------------------------------------------------------------------------


def _random_booking(rng: random.Random, first: datetime) -> tuple[int, datetime, datetime]:
    start = first + timedelta(days=rng.randrange(RACE_DAYS), hours=rng.randrange(OPEN_HOURS[1] - OPEN_HOURS[0]))
    end = min(start + timedelta(hours=rng.randint(1, 3)), start.replace(hour=OPEN_HOURS[1]))
    return rng.randrange(RACE_LISTINGS), start, end


def double_booking_ours(*, per_thread: int, buyers: list[Any], listings: list[Any], seed: int) -> dict[str, Any]:
    """The race through `order_create` (the slot is held from the reservation); overlapping pairs counted after."""
    from django.core.exceptions import ValidationError
    from django.db import connection

    from orders import services
    from orders.models import RELEASED_HOLD_STATES

    first = _first_day() + timedelta(days=RACE_OFFSET_DAYS)

    def attempts(thread: int) -> tuple[int, int]:
        rng = random.Random(seed + thread)
        booked = refused = 0
        for _ in range(per_thread):
            which, start, end = _random_booking(rng, first)
            try:
                services.order_create(buyer=buyers[thread], listing_id=listings[which].pk, start=start, end=end)
                booked += 1
            except ValidationError as error:
                if error.message_dict.get("start") != [TAKEN]:  # refused for another reason: the bench is wrong
                    raise
                refused += 1
        return booked, refused

    results, errors, seconds = _on_threads([lambda t=t: attempts(t) for t in range(RACE_THREADS)])
    if errors:
        raise errors[0]
    released = sorted(RELEASED_HOLD_STATES)
    with connection.cursor() as cursor:
        cursor.execute(
            OVERLAPPING_PAIRS_SQL.format(
                table="orders_order",
                where="a.listing_id = ANY(%s) AND NOT (a.state = ANY(%s)) AND NOT (b.state = ANY(%s))",
            ),
            [[listing.pk for listing in listings], released, released],
        )
        pairs = cursor.fetchone()[0]
    return {
        "booked": sum(b for b, _r in results),
        "refused": sum(r for _b, r in results),
        "seconds": round(seconds, 2),
        "overlapping_pairs": pairs,
    }


def double_booking_naive(*, per_thread: int, url: str, seed: int) -> dict[str, Any]:
    """The same workload with check-then-insert on a scratch table: no row lock, no exclusion constraint."""
    import psycopg

    table = "bench_naive_booking"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(
            f"CREATE TABLE {table} (id bigserial PRIMARY KEY, listing_id int NOT NULL, "
            "starts_at timestamptz NOT NULL, ends_at timestamptz NOT NULL)"
        )
    first = _first_day() + timedelta(days=RACE_OFFSET_DAYS)

    def attempts(thread: int) -> tuple[int, int]:
        rng = random.Random(seed + thread)
        booked = refused = 0
        with psycopg.connect(url) as conn:
            for _ in range(per_thread):
                which, start, end = _random_booking(rng, first)
                with conn.transaction():
                    taken = conn.execute(
                        f"SELECT count(*) FROM {table} WHERE listing_id = %s AND starts_at < %s AND ends_at > %s",  # noqa: S608
                        [which, end, start],
                    ).fetchone()[0]
                    if taken:
                        refused += 1
                        continue
                    conn.execute(
                        f"INSERT INTO {table} (listing_id, starts_at, ends_at) VALUES (%s, %s, %s)",  # noqa: S608
                        [which, start, end],
                    )
                    booked += 1
        return booked, refused

    results, errors, seconds = _on_threads([lambda t=t: attempts(t) for t in range(RACE_THREADS)])
    if errors:
        raise errors[0]
    with psycopg.connect(url, autocommit=True) as conn:
        pairs = conn.execute(OVERLAPPING_PAIRS_SQL.format(table=table, where="true")).fetchone()[0]
        conn.execute(f"DROP TABLE {table}")
    return {
        "booked": sum(b for b, _r in results),
        "refused": sum(r for _b, r in results),
        "seconds": round(seconds, 2),
        "overlapping_pairs": pairs,
    }


# --- 3. The ledger afterwards ----------------------------------------------------------------------------------


def ledger_check() -> dict[str, Any]:
    from orders.ledger_check import ledger_problems
    from orders.models import Entry, LedgerTransaction

    began = time.perf_counter()
    problems = ledger_problems()
    return {
        "problems": len(problems),
        "examples": [str(problem) for problem in problems[:5]],
        "transactions": LedgerTransaction.objects.count(),
        "entries": Entry.objects.count(),
        "seconds": round(time.perf_counter() - began, 3),
    }


# --- The whole part ---------------------------------------------------------------------------------------------


def run(*, url: str, orders: int = 1000, race_per_thread: int = 200, seed: int = 20240601) -> dict[str, Any]:
    """Everything above; `orders` checkouts per worker count, `race_per_thread` bookings per racing thread."""
    from django.conf import settings

    rng = random.Random(seed)
    sellers = _members("checkout-seller", 10)
    buyers = _members("checkout-buyer", 40)
    items = _listings(sellers, kind="item", count=CHECKOUT_LISTINGS, tag="checkout-item")
    bookings = _listings(sellers, kind="booking", count=CHECKOUT_LISTINGS, tag="checkout-booking")
    plan = checkout_plan(items, bookings, 2 * orders, rng)
    checkout = []
    for workers in (1, 4):
        _log(f"checkout: {orders:,} orders by {workers} worker(s)")
        checkout.append(checkout_throughput(orders=orders, workers=workers, buyers=buyers, plan=plan))
        plan = plan[orders:]
    _log(f"double booking: {RACE_THREADS} threads x {race_per_thread} random bookings, ours then naive")
    race_listings = _listings(sellers, kind="booking", count=RACE_LISTINGS, tag="race")
    ours = double_booking_ours(per_thread=race_per_thread, buyers=buyers, listings=race_listings, seed=seed)
    naive = double_booking_naive(per_thread=race_per_thread, url=url, seed=seed)
    _log("ledger_check over the whole ledger")
    return {
        "gateway": settings.PAYMENT_GATEWAY,
        "checkout": checkout,
        "double_booking": {
            "threads": RACE_THREADS,
            "per_thread": race_per_thread,
            "listings": RACE_LISTINGS,
            "ours": ours,
            "naive": naive,
        },
        "ledger_check": ledger_check(),
    }


def summary_lines(result: dict[str, Any] | None) -> list[str]:
    """The Markdown the bench summary shows for this part."""
    if not result:
        return []
    lines = [
        "",
        "## Checkout (orders: order_create + order_pay, offline gateway, PostgreSQL)",
        "",
        "| workers | orders | orders/s | p50 ms | p95 ms |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {c['workers']} | {c['orders']:,} | {c['orders_per_second']} | {c['p50_ms']} | {c['p95_ms']} |"
        for c in result["checkout"]
    ]
    race = result["double_booking"]
    check = result["ledger_check"]
    lines += [
        "",
        f"Double booking, {race['threads']} threads x {race['per_thread']} random bookings of {race['listings']} "
        f"listings: overlapping pairs **{race['ours']['overlapping_pairs']}** through order_create "
        f"({race['ours']['booked']:,} booked, {race['ours']['refused']:,} refused, {race['ours']['seconds']} s); "
        f"naive check-then-insert **{race['naive']['overlapping_pairs']}** ({race['naive']['booked']:,} booked, "
        f"{race['naive']['refused']:,} refused, {race['naive']['seconds']} s).",
        "",
        f"ledger_check after the run: **{check['problems']} problems** over {check['transactions']:,} transactions "
        f"and {check['entries']:,} entries ({check['seconds']} s)"
        + (f": {'; '.join(check['examples'])}" if check["problems"] else "."),
    ]
    return lines
