"""Pluggable SMS backends (settings.SMS_BACKEND). The default prints to the console, like Django's console
email backend; a production backend implements `send(to=..., body=...)` for the operator's SMS provider."""

import logging
import sys

logger = logging.getLogger(__name__)


class ConsoleSMSBackend:
    def send(self, *, to: str, body: str) -> None:
        sys.stdout.write(f"SMS to {to}: {body}\n")
        sys.stdout.flush()


class MemorySMSBackend:
    """Keeps messages in `outbox`, for tests."""

    outbox: list[dict[str, str]] = []

    def send(self, *, to: str, body: str) -> None:
        self.outbox.append({"to": to, "body": body})
