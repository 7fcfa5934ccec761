#!/usr/bin/env python
"""`make run`: migrate, load demo data, then serve HTTP and websockets (daphne) with a Celery worker and beat
on the embedded default. Ctrl-C stops all of them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PORT = os.environ.get("PORT", "8000")
os.environ.setdefault("VAR_DIR", str(ROOT / "var"))
os.environ["VAR_DIR"] = str(Path(os.environ["VAR_DIR"]).resolve())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def main() -> int:
    manage("migrate", "--noinput", "-v", "0")
    manage("seed_demo")
    var = Path(os.environ["VAR_DIR"])
    commands = {
        "web": [
            PYTHON,
            "-m",
            "daphne",
            "-b",
            os.environ.get("HOST", "127.0.0.1"),
            "-p",
            PORT,
            "hub.asgi:application",
        ],
        "worker": [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "hub",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "--pool",
            "solo",
        ],
        "beat": [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "hub",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(var / "celery" / "beat-schedule"),
        ],
    }
    processes = {name: subprocess.Popen(cmd, cwd=ROOT, start_new_session=True) for name, cmd in commands.items()}
    host = "localhost"
    print(
        f"""
Guildhall is running at http://{host}:{PORT}/
  CMS:      http://{host}:{PORT}/cms/
  API docs: http://{host}:{PORT}/api/v1/docs/
  Mail:     {var / "mail"}
Demo logins (password: guildhall-demo):
  admin@demo.guildhall.test (staff), seller@, seller2@, buyer@, mentor@, facilitator@, ambassador@,
  moderator@demo.guildhall.test
Press Ctrl-C to stop.
""",
        flush=True,
    )
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    try:
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; stopping the rest.", flush=True)
                    exit_code = process.returncode or 1
                    stopping = True
                    break
            time.sleep(0.5)
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
