"""Smoke run of the embedded default, started the way `make run` starts it: daphne serving HTTP and websockets,
a Celery worker and beat on the filesystem broker, SQLite under a fresh VAR_DIR."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.harness import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.smoke, pytest.mark.xdist_group("smoke")]


@pytest.fixture(scope="module")
def embedded_site(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("embedded-var")
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "REDIS_PREFIX"}
    }
    env.update({"VAR_DIR": str(var_dir), "PORT": str(port), "PYTHONUNBUFFERED": "1"})
    log_path = var_dir / "run.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "scripts/run.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # migrating every app on SQLite, then seeding, on a busy 2-core machine
    while True:
        try:
            if requests.get(base + "/healthz", timeout=2).status_code in (200, 503):
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("make run's server did not come up:\n" + log_path.read_text()[-4000:])
        time.sleep(0.5)
    yield {"base": base, "port": port, "env": env, "process": process, "log": log_path, "var": var_dir}
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    log.close()


def test_serves_home_page_with_demo_content(embedded_site):
    response = requests.get(embedded_site["base"] + "/", timeout=10)
    assert response.status_code == 200
    assert "Buy, sell and grow together" in response.text
    assert "Learn from peers" in response.text  # featured content from seed_demo
    assert "Guildhall is running at" in embedded_site["log"].read_text()
    assert "admin@demo.guildhall.test" in embedded_site["log"].read_text()
    for path in ("/cms/login/", "/api/v1/docs/", "/api/v1/schema/"):
        assert requests.get(embedded_site["base"] + path, timeout=10).status_code == 200, path


def test_search_on_sqlite_finds_demo_listings_and_corrects_a_typo(embedded_site):
    base = embedded_site["base"]
    exact = requests.get(base + "/listings/", params={"q": "stoneware mugs"}, timeout=10)
    assert exact.status_code == 200
    assert "Hand-thrown stoneware mugs, set of two" in exact.text
    typo = requests.get(base + "/listings/", params={"q": "stonewear"}, timeout=10)
    assert "Hand-thrown stoneware mugs, set of two" in typo.text
    assert "Including results for" in typo.text and "stoneware" in typo.text
    dated = requests.get(
        base + "/listings/",
        params={"kind": "booking", "available_from": "2000-01-01", "available_to": "2000-01-02"},
        timeout=10,
    )
    assert dated.status_code == 200 and "0 listings" in dated.text


def test_health_on_embedded_default(embedded_site):
    body = requests.get(embedded_site["base"] + "/healthz", timeout=10).json()
    assert body["status"] == "ok", body


def test_websocket_for_a_signed_in_demo_member(embedded_site):
    # given a demo member signed in over HTTP
    session = requests.Session()
    login_page = session.get(embedded_site["base"] + "/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    response = session.post(
        embedded_site["base"] + "/accounts/login/",
        data={"csrfmiddlewaretoken": token, "login": "buyer@demo.guildhall.test", "password": "guildhall-demo"},
        headers={"Referer": embedded_site["base"] + "/accounts/login/"},
        timeout=10,
    )
    assert response.status_code == 200
    assert "sessionid" in session.cookies
    # when the page opens the notifications socket
    with connect(
        f"ws://127.0.0.1:{embedded_site['port']}/ws/notifications/",
        additional_headers={
            "Cookie": f"sessionid={session.cookies['sessionid']}",
            "Origin": embedded_site["base"],
        },
        open_timeout=10,
    ) as socket:
        hello = json.loads(socket.recv(timeout=10))
    # then the server greets the member with their unread count (the demo orders leave the buyer some)
    unread = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from community.models import Notification; print(Notification.objects.filter("
            "member__email='buyer@demo.guildhall.test', read_at__isnull=True).count())",
        ],
        cwd=ROOT,
        env=embedded_site["env"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert hello == {"type": "hello", "unread": int(unread.stdout.split()[-1])}  # after the auto-import note


def _signed_in(embedded_site, email: str) -> requests.Session:
    session = requests.Session()
    login_page = session.get(embedded_site["base"] + "/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    response = session.post(
        embedded_site["base"] + "/accounts/login/",
        data={"csrfmiddlewaretoken": token, "login": email, "password": "guildhall-demo"},
        headers={"Referer": embedded_site["base"] + "/accounts/login/"},
        timeout=10,
    )
    assert response.status_code == 200 and "sessionid" in session.cookies
    return session


def _shell(embedded_site, code: str) -> str:
    completed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=embedded_site["env"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return completed.stdout.split()[-1]


def test_community_and_mentoring_pages_and_the_live_room_on_sqlite(embedded_site):
    """Issues 4-6 on the embedded default: the pages a member opens daily, the forum read marker (an upsert that
    must speak SQLite too), the playbooks API and a live room over the in-memory channel layer."""
    base = embedded_site["base"]
    seller = _signed_in(embedded_site, "seller2@demo.guildhall.test")
    topic_id = _shell(
        embedded_site,
        "from community.models import Topic; "
        "print(Topic.objects.filter(category__visibility='public').order_by('pk')[0].pk)",
    )
    for _visit in range(2):  # the first visit inserts the read marker, the second updates it
        assert seller.get(f"{base}/forum/t/{topic_id}/", timeout=10).status_code == 200, topic_id
    read = _shell(
        embedded_site,
        "from community.models import TopicRead; print(TopicRead.objects.filter("
        f"topic_id={topic_id}, member__email='seller2@demo.guildhall.test').count())",
    )
    assert read == "1"
    for path in (
        "/live/",
        "/members/me/trust/",
        "/members/me/notifications/email/",
        "/mentoring/circles/",
        "/orders/money/",
        "/playbooks/",
    ):
        assert seller.get(base + path, timeout=10).status_code == 200, path
    playbooks = requests.get(base + "/api/v1/playbooks", timeout=10).json()
    assert playbooks["count"] >= 2
    session_id = _shell(
        embedded_site,
        "from community.models import LiveSession; print(LiveSession.objects.filter("
        "status='scheduled', visibility='members').order_by('starts_at')[0].pk)",
    )
    with connect(
        f"ws://127.0.0.1:{embedded_site['port']}/ws/live/{session_id}/",
        additional_headers={"Cookie": f"sessionid={seller.cookies['sessionid']}", "Origin": base},
        open_timeout=10,
    ) as socket:
        welcome = json.loads(socket.recv(timeout=10))
        assert (welcome["event"], welcome["session"], welcome["presence"]) == ("welcome", int(session_id), 1)
        socket.send(json.dumps({"action": "ask", "body": "Does this work on SQLite?"}))
        seen = []
        while "question.asked" not in seen:
            seen.append(json.loads(socket.recv(timeout=10))["event"])


def test_anonymous_websocket_is_refused(embedded_site):
    # the consumer closes before accepting, so the handshake itself is refused
    with pytest.raises(InvalidStatus) as refused:
        connect(
            f"ws://127.0.0.1:{embedded_site['port']}/ws/notifications/",
            additional_headers={"Origin": embedded_site["base"]},
            open_timeout=10,
        )
    assert refused.value.response.status_code == 403


def test_celery_worker_answers_a_task(embedded_site):
    result = subprocess.run(
        [sys.executable, "manage.py", "celery_ping", "--timeout", "60"],
        cwd=ROOT,
        env=embedded_site["env"],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "pong"


def test_second_start_is_fast_and_adds_no_duplicates(embedded_site):
    # seed_demo ran once at start; running it again adds nothing
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=ROOT,
        env=embedded_site["env"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "(0 new members)" in result.stdout


def test_ctrl_c_stops_everything(embedded_site):
    process = embedded_site["process"]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(embedded_site["base"] + "/", timeout=2)
    leftover = subprocess.run(
        ["pgrep", "-f", f"celery.*{embedded_site['var']}"], capture_output=True, text=True, check=False
    )
    assert leftover.stdout.strip() == ""
