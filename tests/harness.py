"""Test harness: starts a throwaway PostgreSQL and Redis before Django is configured, so the suite runs on the
production stack. Loaded with `-p tests.harness` (pyproject.toml).

- DATABASE_URL / REDIS_URL already set: they are used as they are.
- Otherwise the controller process starts both servers on free loopback ports and exports their URLs; pytest-xdist
  workers inherit them, and each worker takes its own Redis database so cache flushes stay apart.
- A missing server binary fails the run when CI=true, and otherwise falls back to the embedded default with a
  loud warning; tests that need the server then skip with a reason.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def _postgres_bindir() -> str | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if candidates:
        return os.path.dirname(candidates[-1])
    pg_ctl = shutil.which("pg_ctl")
    return os.path.dirname(pg_ctl) if pg_ctl else None


def start_postgres(workdir: Path) -> str:
    bindir = _postgres_bindir()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL (Debian package: postgresql)")
    as_root = os.geteuid() == 0
    # PostgreSQL refuses to run as root: run its binaries as the postgres user, which owns the data directory.
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    pgdir = workdir / "pg"
    pgdir.mkdir()
    if as_root:
        shutil.chown(workdir, "postgres")
        shutil.chown(pgdir, "postgres")
    data, log = pgdir / "data", pgdir / "server.log"
    subprocess.run(
        [
            *prefix,
            f"{bindir}/initdb",
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    options = (
        f"-p {port} -k {pgdir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        [*prefix, f"{bindir}/pg_ctl", "-D", str(data), "-o", options, "-l", str(log), "-w", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )

    def stop() -> None:
        subprocess.run(
            [*prefix, f"{bindir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )

    atexit.register(stop)
    return f"postgres://postgres@127.0.0.1:{port}/guildhall"


def start_redis(workdir: Path) -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("Redis (Debian package: redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(process.terminate)
    _wait_for_port(port)
    return f"redis://127.0.0.1:{port}/0"


def _missing(what: str) -> None:
    message = f"The test harness could not start {what}."
    if IN_CI:
        raise pytest.UsageError(f"{message} CI=true: a missing server fails the run. Run `make test` to install it.")
    sys.stderr.write(f"\nWARNING: {message} Falling back to the embedded default; tests needing it will skip.\n")
    os.environ.setdefault("GUILDHALL_TEST_MISSING", "")
    os.environ["GUILDHALL_TEST_MISSING"] += f"{what};"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """Runs before pytest-django configures Django, in the controller and in each xdist worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None and not os.environ.get("GUILDHALL_TEST_HARNESS"):
        os.environ["GUILDHALL_TEST_HARNESS"] = str(os.getpid())
        workdir = Path(tempfile.mkdtemp(prefix="guildhall-test-"))
        os.chmod(workdir, 0o755)
        atexit.register(shutil.rmtree, workdir, ignore_errors=True)
        os.environ.setdefault("VAR_DIR", str(workdir / "var"))
        if "DATABASE_URL" not in os.environ:
            try:
                os.environ["DATABASE_URL"] = start_postgres(workdir)
            except (FileNotFoundError, subprocess.CalledProcessError) as exc:
                _missing(f"PostgreSQL ({exc})")
        if "REDIS_URL" not in os.environ:
            try:
                os.environ["REDIS_URL"] = start_redis(workdir)
            except (FileNotFoundError, RuntimeError) as exc:
                _missing(f"Redis ({exc})")
    if worker is not None and os.environ.get("REDIS_URL", "").endswith("/0"):
        # Each worker its own Redis database: flushing one worker's cache leaves the other's alone.
        index = int(worker.removeprefix("gw") or 0) + 1
        os.environ["REDIS_URL"] = os.environ["REDIS_URL"][: -len("/0")] + f"/{index}"
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    return (yield)


def server_missing(name: str) -> bool:
    return name in os.environ.get("GUILDHALL_TEST_MISSING", "")


# --- Fake Stripe ------------------------------------------------------------------------------------------------


def start_stripe_fake():
    """Starts the fake Stripe server (localstripe plus the Connect routes of tests/orders/stripe_fake.py) in this
    process, bound to 127.0.0.1 only and keeping its state in memory (localstripe's CLI binds every interface and
    pickles its state to /tmp)."""
    from tests.orders.stripe_fake import FakeStripe

    return FakeStripe.start()


@pytest.fixture(scope="session")
def stripe_server():
    """The fake Stripe server, started on first use, once per test process (each xdist worker has its own)."""
    server = start_stripe_fake()
    yield server
    server.stop()
