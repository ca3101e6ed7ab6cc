"""Closing what the platform opened, at shutdown: one failure never stops the rest."""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


def call_quietly(close: Callable[[], object]) -> None:
    """Calls ``close``; a failure is logged, never raised (shutdown goes on)."""
    try:
        close()
    except Exception:
        log.warning("closing with %r failed", close, exc_info=True)


def close_quietly(thing: object) -> None:
    """Calls ``thing.close()`` when it has one, quietly."""
    close = getattr(thing, "close", None)
    if callable(close):
        call_quietly(close)
