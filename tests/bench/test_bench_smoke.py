"""`make bench` at a tiny scale: it starts its own PostgreSQL, loads listings, measures and writes its results."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import IN_CI, _postgres_bindir

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.xdist_group("bench")


def test_percentile_interpolates_between_ranks():
    from bench.run import percentile, scale_parse

    assert percentile([10.0, 20.0, 30.0, 40.0], 50) == 25.0
    assert percentile([5.0], 99) == 5.0
    assert scale_parse("large") == ("large", 1_000_000)
    assert scale_parse("") == ("default", 100_000)
    assert scale_parse("20_000") == ("20000", 20_000)


@pytest.mark.skipif(
    _postgres_bindir() is None and not IN_CI, reason="PostgreSQL is not installed (Debian package: postgresql)"
)
def test_bench_runs_at_a_tiny_scale_and_writes_results(tmp_path):
    # The bench configures Django for its own database, so it runs in a process of its own; the scale is an
    # argument, not the environment.
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env["VAR_DIR"] = str(tmp_path / "var")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--scale",
            "200",
            "--samples",
            "3",
            "--budget",
            "2",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # the live room starts Redis and two ASGI servers
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    [results] = list(tmp_path.glob("*-200.json"))
    report = json.loads(results.read_text())
    assert report["listings"] == 200
    assert report["seed"]["rows"]["listings_listing"] == 200
    for group in ("search", "listing_page"):
        assert {"p50", "p95", "p99"} <= set(report[group]), group
        assert report[group]["p50"] <= report[group]["p95"] <= report[group]["p99"]
        assert report[group]["queries_median"] > 0
    statuses = {status for case in report["cases"] for status in case["statuses"]}
    assert statuses == {"200"}, report["cases"]
    assert report["explain"], "the slowest query's plan is part of the summary"
    assert (tmp_path / results.name.replace(".json", ".md")).read_text().startswith("# Bench")
    # checkout throughput (bench/checkout.py): every order paid, then a clean ledger and no double booking
    checkout = report["checkout"]
    assert [(run["workers"], run["orders"]) for run in checkout["checkout"]] == [(1, 20), (4, 20)]
    assert all(run["orders_per_second"] > 0 and run["p50_ms"] <= run["p95_ms"] for run in checkout["checkout"])
    assert checkout["ledger_check"]["problems"] == 0, checkout["ledger_check"]["examples"]
    assert checkout["ledger_check"]["transactions"] >= 40
    assert checkout["double_booking"]["ours"]["overlapping_pairs"] == 0
    assert checkout["double_booking"]["ours"]["booked"] > 0
    assert "| search |" in completed.stdout
    # The forum topic with 1,000 replies: every page answered, queries per request reported against the goal.
    forum = report["forum_topic"]
    assert forum["replies"] == 1000 and forum["pages"] == 51
    for visitor in forum["visitors"].values():
        assert visitor["statuses"] == [200]
        assert 0 < visitor["queries_median"] <= visitor["queries_max"]
        assert visitor["p50_ms"] <= visitor["p95_ms"] <= visitor["max_ms"]
    assert "## Forum topic with 1,000 replies" in completed.stdout
    # The live room at a tiny size: 20 clients on two ASGI processes, every broadcast delivered to every client.
    if shutil.which("redis-server") or IN_CI:  # under CI a missing redis-server fails here, never skips
        live = report["live_room"]
        [pair] = live["results"]
        assert (pair["clients"], pair["connected"], pair["lost"]) == (20, 20, 0)
        latency = pair["latency_last_client_ms"]
        assert 0 < latency["p50"] <= latency["p95"] <= latency["max"]
        assert pair["messages_per_second"] > 0
        assert "## Live room: 20 websocket clients" in completed.stdout
