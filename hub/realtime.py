"""Sending to websocket groups from synchronous code (services, after commit)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def group_send(group: str, message: dict[str, Any]) -> None:
    """Sends `message` to the channel-layer group. async_to_sync refuses to run in a thread whose event loop is
    running (Playwright's sync API does that in tests; so might a caller inside an async server): there the
    send runs in a short-lived thread of its own."""
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        send(group, message)
        return
    worker = threading.Thread(target=send, args=(group, message), name="group-send", daemon=True)
    worker.start()
    worker.join(timeout=10)
