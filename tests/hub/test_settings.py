"""Production settings come only from the environment; `check --deploy` is clean with production values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k3y-" + "x9Qz" * 16,
    "ALLOWED_HOSTS": "guildhall.example",
    "CSRF_TRUSTED_ORIGINS": "https://guildhall.example",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example:587",
    "STRIPE_SECRET_KEY": "sk_test_123",
    "STRIPE_WEBHOOK_SECRET": "whsec_123",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_values(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION, "VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_without_secret_key_refuses_to_start(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    clean = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, **env, "VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_environment_selects_the_stack(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'],"
        " s.CHANNEL_LAYERS['default']['BACKEND'], s.CELERY_BROKER_URL.split(':')[0],"
        " s.EMAIL_BACKEND, s.PAYMENT_GATEWAY)"
    )
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "STRIPE_SECRET_KEY"}
    }
    embedded = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env={**clean, "VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert embedded.returncode == 0, embedded.stderr
    assert embedded.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
        "channels.layers.InMemoryChannelLayer",
        "filesystem",
        "django.core.mail.backends.filebased.EmailBackend",
        "offline",
    ]
    production = _manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        env={
            "VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://u:p@db.example:5432/guildhall",
            "REDIS_URL": "redis://cache.example:6379/0",
            "EMAIL_URL": "smtp+tls://u:p@smtp.example:587",
            "STRIPE_SECRET_KEY": "sk_test_1",
        },
    )
    assert production.returncode == 0, production.stderr
    assert production.stdout.split() == [
        "django.db.backends.postgresql",
        "django.core.cache.backends.redis.RedisCache",
        "channels_redis.core.RedisChannelLayer",
        "redis",
        "django.core.mail.backends.smtp.EmailBackend",
        "stripe",
    ]


def test_every_environment_variable_is_documented():
    import re

    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', (ROOT / "hub" / "settings.py").read_text()))
    read |= set(re.findall(r'"([A-Z_]+)" in os\.environ', (ROOT / "hub" / "settings.py").read_text()))
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert read - documented == set()
