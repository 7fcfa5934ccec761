"""A live room under load: N websocket clients across 2 ASGI processes on Redis, broadcasts timed to the last client.

What runs: a throwaway redis-server (`tests.harness.start_redis`), the bench's database (bench/run.py starts a
PostgreSQL; standalone this module starts its own), and 2 ASGI server processes serving `hub.asgi:application`
with REDIS_URL and CHANNEL_LAYER set, exactly as production runs them. N signed-in clients (session cookies of
demo members created in that database, several sockets per member) open `ws/live/<session_id>/` (the live room of
issue 5, item 6), split evenly between the two processes. A broadcast is what a room service does after commit:
`group_send("live.<session_id>", {"type": "live.event", "event": {...}})` through the same channel layer, sent
from this process.

Measured, per server and layer combination:
- latency to the last client: for each of K broadcasts sent one at a time, the time from `group_send` until the
  last of the N clients has received it; p50, p95 and max over the K broadcasts (and the median client's latency);
- lost: broadcasts a client never received (within a 10 s grace period), over every phase;
- messages per second: a burst of B broadcasts sent back to back, messages delivered to clients per second from
  the first send to the last delivery.

Clients run in this process on one asyncio loop (uvloop when installed); the machine has 2 cores, so the clients,
both servers and Redis share them, and the figures include the clients' own receive time.

    .venv/bin/python -m bench.websockets --clients 1000      prints JSON (starts its own PostgreSQL)
    bench.websockets.run(clients=20, broadcasts=5)          the same dict, inside an already configured bench
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# (ASGI server, channel layer): the default pair and the faster one (bench/README.md).
COMBINATIONS = [("daphne", "redis"), ("uvicorn", "redis-pubsub")]
GOALS_MS = {"p50": 150.0, "max": 300.0}
SOCKETS_PER_MEMBER = 10
GRACE_S = 10.0
REDIS_PREFIX = "benchws"
BENCH_MARK = re.compile(rb'"event":"bench","n":(\d+)')


def log(message: str) -> None:
    print(f"[bench websockets {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    from bench.run import percentile as linear

    return linear(values, p)


# --- The room and its members ------------------------------------------------------------------------------------


@dataclass
class Room:
    path: str
    group: str
    event_type: str  # the consumer method the broadcast calls
    cookies: list[str]  # one session cookie per member
    label: str


def room_prepare(clients: int) -> Room:
    """Demo members with database sessions (the servers read them), and a live session open to members."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from community.models import Member

    count = max(1, -(-clients // SOCKETS_PER_MEMBER))
    stamp = int(time.time())
    members = Member.objects.bulk_create(
        [Member(email=f"bench-ws-{stamp}-{i}@example.test", password="!") for i in range(count)]
    )
    cookies = []
    for member in members:
        store = SessionStore()
        store[SESSION_KEY] = str(member.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = member.get_session_auth_hash()
        store.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={store.session_key}")
    try:
        from community.models import LiveSession
    except ImportError:  # before the live room existed: one member's notification group, every socket in it
        group = f"member.{members[0].pk}.notifications"
        return Room("/ws/notifications/", group, "notification.new", cookies[:1], "ws/notifications/ (one group)")
    session = LiveSession.objects.create(
        title="Bench: a busy live room",
        starts_at=timezone.now(),
        duration_minutes=120,
        capacity=max(1000, clients),
        host=members[0],
    )
    return Room(f"/ws/live/{session.pk}/", f"live.{session.pk}", "live.event", cookies, "ws/live/<id>/ (live room)")


# --- Servers -------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(server: str, port: int) -> list[str]:
    if server == "daphne":
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "hub.asgi:application"]
    if server == "uvicorn":
        loop = "uvloop" if _has("uvloop") else "asyncio"
        return [
            sys.executable, "-m", "uvicorn", "hub.asgi:application", "--host", "127.0.0.1", "--port", str(port),
            "--loop", loop, "--ws", "websockets", "--ws-per-message-deflate", "false", "--no-access-log",
            "--log-level", "warning", "--lifespan", "off",
        ]  # fmt: skip
    raise ValueError(server)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def servers_start(server: str, layer: str, redis_url: str, workdir: Path, count: int = 2) -> list[tuple[int, Any]]:
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": REDIS_PREFIX,
        "CHANNEL_LAYER": layer,
        "PYTHONUNBUFFERED": "1",
    }
    started = []
    for i in range(count):
        port = free_port()
        log_file = open(workdir / f"{server}-{i}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            server_command(server, port), cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
        started.append((port, process))
    for port, process in started:
        _wait_http(port, process, workdir)
    return started


def _wait_http(port: int, process, workdir: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in workdir.glob("*.log"))
            raise RuntimeError(f"the ASGI server on port {port} exited:\n{logs}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the ASGI server on port {port} did not answer in {timeout:.0f} s")


def servers_stop(started: list[tuple[int, Any]]) -> None:
    for _port, process in started:
        process.terminate()
    for _port, process in started:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def channel_layer(layer: str, redis_url: str):
    """The same layer the servers use, built here: a broadcast from this process is a service's broadcast."""
    config = {"hosts": [{"address": redis_url, "socket_timeout": 15}], "prefix": f"{REDIS_PREFIX}:asgi"}
    if layer == "redis-pubsub":
        from channels_redis.pubsub import RedisPubSubChannelLayer

        return RedisPubSubChannelLayer(**config)
    from channels_redis.core import RedisChannelLayer

    return RedisChannelLayer(**config)


# --- Clients ---------------------------------------------------------------------------------------------------


class Clients:
    """N websocket clients on one loop; each notes when it received which broadcast."""

    def __init__(self) -> None:
        self.received: dict[int, list[float]] = defaultdict(list)
        self.sockets: list[Any] = []
        self.readers: list[asyncio.Task] = []
        self.arrivals = asyncio.Event()
        self.refused = 0
        self.alive = 0  # open sockets: a socket the server closed receives nothing more, and is not waited for

    async def open(self, urls_and_cookies: list[tuple[str, str, str]], concurrency: int = 25) -> None:
        from websockets.asyncio.client import connect

        gate = asyncio.Semaphore(concurrency)

        async def one(url: str, cookie: str, origin: str) -> None:
            async with gate:
                for _attempt in range(3):
                    try:
                        ws = await connect(
                            url,
                            additional_headers={"Cookie": cookie},
                            origin=origin,
                            compression=None,
                            max_queue=None,
                            open_timeout=30,
                            ping_interval=None,
                        )
                    except (OSError, TimeoutError, Exception):  # noqa: BLE001 - retried, then counted
                        await asyncio.sleep(0.5)
                        continue
                    self.sockets.append(ws)
                    self.alive += 1
                    self.readers.append(asyncio.create_task(self.read(ws)))
                    return
                self.refused += 1

        await asyncio.gather(*(one(*item) for item in urls_and_cookies))

    async def read(self, ws) -> None:
        clock = time.perf_counter
        try:
            async for frame in ws:
                data = frame if isinstance(frame, bytes) else frame.encode()
                match = BENCH_MARK.search(data)
                if match:
                    self.received[int(match.group(1))].append(clock())
                    self.arrivals.set()
        except Exception:  # noqa: BLE001, S110 - a closed socket ends its reader; its misses count as lost
            pass
        finally:
            self.alive -= 1
            self.arrivals.set()

    async def wait_for(self, n: int, timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while len(self.received[n]) < self.alive:
            left = deadline - time.perf_counter()
            if left <= 0:
                return False
            self.arrivals.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrivals.wait(), timeout=min(left, 0.05))
        return True

    async def close(self) -> None:
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


async def _measure(
    room: Room, ports: list[int], layer_name: str, redis_url: str, clients: int, broadcasts: int, burst: int
) -> dict[str, Any]:
    targets = []
    for i in range(clients):
        port = ports[i % len(ports)]
        cookie = room.cookies[(i // len(ports)) % len(room.cookies)]
        targets.append((f"ws://127.0.0.1:{port}{room.path}", cookie, f"http://127.0.0.1:{port}"))
    pool = Clients()
    started = time.perf_counter()
    await pool.open(targets)
    connect_s = time.perf_counter() - started
    connected = len(pool.sockets)
    log(f"{connected} of {clients} clients connected in {connect_s:.1f} s")
    layer = channel_layer(layer_name, redis_url)
    await asyncio.sleep(3)  # presence broadcasts of the joins settle

    async def send(n: int) -> float:
        sent_at = time.perf_counter()
        await layer.group_send(room.group, {"type": room.event_type, "event": {"event": "bench", "n": n}})
        return sent_at

    # Latency: one broadcast at a time, the next once everyone has the previous (or it timed out).
    last_ms: list[float] = []
    median_ms: list[float] = []
    sent: dict[int, float] = {}
    for n in range(broadcasts):
        sent[n] = await send(n)
        await pool.wait_for(n, GRACE_S)
        times = pool.received[n]
        if times:
            last_ms.append((max(times) - sent[n]) * 1000)
            median_ms.append((statistics.median(times) - sent[n]) * 1000)
        await asyncio.sleep(0.1)
    # Throughput: a burst back to back.
    first = broadcasts
    burst_ids = list(range(first, first + burst))
    for n in burst_ids:
        sent[n] = await send(n)
    for n in burst_ids:
        await pool.wait_for(n, GRACE_S)
    delivered_burst = sum(len(pool.received[n]) for n in burst_ids)
    last_arrival = max((max(pool.received[n]) for n in burst_ids if pool.received[n]), default=sent[first])
    burst_s = max(last_arrival - sent[first], 1e-6)
    expected = connected * (broadcasts + burst)
    delivered = sum(len(pool.received[n]) for n in sent)
    closed_by_server = connected - pool.alive
    await pool.close()
    if hasattr(layer, "close_pools"):
        await layer.close_pools()
    elif hasattr(layer, "flush"):
        await layer.flush()
    return {
        "clients": clients,
        "connected": connected,
        "closed_by_server": closed_by_server,
        "refused": pool.refused,
        "connect_seconds": round(connect_s, 1),
        "broadcasts": broadcasts,
        "latency_last_client_ms": {
            "p50": round(percentile(last_ms, 50), 1),
            "p95": round(percentile(last_ms, 95), 1),
            "max": round(max(last_ms), 1) if last_ms else None,
        },
        "latency_median_client_ms_p50": round(percentile(median_ms, 50), 1),
        "lost": expected - delivered,
        "expected": expected,
        "burst": burst,
        "messages_per_second": round(delivered_burst / burst_s),
        "burst_seconds": round(burst_s, 3),
    }


def measure_one(
    room: Room, server: str, layer: str, redis_url: str, workdir: Path, clients: int, broadcasts: int, burst: int
) -> dict[str, Any]:
    log(f"{server} + {layer}: 2 processes, {clients} clients, {broadcasts} broadcasts and a burst of {burst}")
    started = servers_start(server, layer, redis_url, workdir)
    try:
        result = _loop_run(_measure(room, [port for port, _ in started], layer, redis_url, clients, broadcasts, burst))
    finally:
        servers_stop(started)
    latency = result["latency_last_client_ms"]
    result.update(
        server=server,
        layer=layer,
        goal_met=bool(
            result["lost"] == 0
            and latency["p50"] is not None
            and latency["p50"] <= GOALS_MS["p50"]
            and (latency["max"] or 0) <= GOALS_MS["max"]
        ),
    )
    log(
        f"{server} + {layer}: last client p50 {latency['p50']} ms, p95 {latency['p95']} ms, max {latency['max']} ms; "
        f"lost {result['lost']}; {result['messages_per_second']} messages/s"
    )
    return result


def _loop_run(coroutine):
    if _has("uvloop"):
        import uvloop

        return uvloop.run(coroutine)
    return asyncio.run(coroutine)


def _raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def run(
    *,
    clients: int = 1000,
    broadcasts: int = 30,
    burst: int = 20,
    combinations: list[tuple[str, str]] | None = None,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Runs in a process whose Django is configured on the bench database (bench/run.py does it); the servers
    inherit its DATABASE_URL. Returns the figures of each server and layer pair."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.harness import start_redis

    _raise_file_limit()
    own_dir = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="guildhall-bench-ws-"))
    combos = combinations or [c for c in COMBINATIONS if c[0] != "uvicorn" or _has("uvicorn")]
    redis_url = start_redis(workdir)
    room = room_prepare(clients)
    from django.db import connection

    connection.close()  # the servers are the database's clients now
    results = [measure_one(room, s, layer, redis_url, workdir, clients, broadcasts, burst) for s, layer in combos]
    if own_dir:
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "room": room.label,
        "clients": clients,
        "processes": 2,
        "goals_ms": GOALS_MS,
        "load_average_after": os.getloadavg(),
        "results": results,
    }


def markdown_lines(report: dict[str, Any] | None) -> list[str]:
    if not report:
        return []
    lines = [
        f"## Live room: {report['clients']:,} websocket clients on {report['processes']} ASGI processes on Redis",
        "",
        f"Measured on {report['room']}. Latency from `group_send` until the last client has the broadcast; goal "
        f"p50 ≤ {report['goals_ms']['p50']:.0f} ms and max ≤ {report['goals_ms']['max']:.0f} ms with nothing lost. "
        f"1-minute load average afterwards: {report['load_average_after'][0]:.1f} on {os.cpu_count()} cores.",
        "",
        "| server + layer | connected (closed by server) | p50 ms | p95 ms | max ms | median client p50 ms | lost "
        "| messages/s | goal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in report["results"]:
        lat = r["latency_last_client_ms"]
        lines.append(
            f"| {r['server']} + {r['layer']} | {r['connected']} ({r.get('closed_by_server', 0)}) | "
            f"{lat['p50']} | {lat['p95']} | {lat['max']} | "
            f"{r['latency_median_client_ms_p50']} | {r['lost']} | {r['messages_per_second']:,} | "
            f"{'✅' if r['goal_met'] else '❌'} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--broadcasts", type=int, default=30)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--only", choices=["daphne", "uvicorn"], help="measure one server (with its layer)")
    args = parser.parse_args(argv)
    from bench.run import atexit_cleanup, database_start, django_configure

    workdir = Path(tempfile.mkdtemp(prefix="guildhall-bench-ws-"))
    os.chmod(workdir, 0o755)  # noqa: S103 - the postgres user runs the server from inside it
    atexit_cleanup(workdir)
    url = database_start(workdir)
    django_configure(url, workdir)
    from django.core.management import call_command

    log("migrating")
    call_command("migrate", verbosity=0, interactive=False)
    combos = [c for c in COMBINATIONS if args.only in (None, c[0])]
    report = run(
        clients=args.clients, broadcasts=args.broadcasts, burst=args.burst, combinations=combos, workdir=workdir
    )
    print(json.dumps(report, indent=2))
    print("\n".join(markdown_lines(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
