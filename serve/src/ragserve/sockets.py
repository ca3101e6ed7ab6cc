"""The life of a server-pushing WebSocket, the same for every channel: one loop forwards what the
hub delivers, one reads what the client sends, and the socket ends when either does."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from fastapi import WebSocketDisconnect

log = logging.getLogger(__name__)


async def run_both(forward: Coroutine[Any, Any, None], listen: Coroutine[Any, Any, None], name: str) -> None:
    """Runs both loops until one ends (the client left, or a send failed), then stops the other.
    A failure other than the client's disconnect is logged under ``name``."""
    tasks = [asyncio.create_task(forward), asyncio.create_task(listen)]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            failure = task.exception()
            if failure is not None and not isinstance(failure, WebSocketDisconnect):
                log.info("%s socket closed: %r", name, failure)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
