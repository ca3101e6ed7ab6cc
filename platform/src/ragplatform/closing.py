"""Closing what the platform opened, at shutdown: one failure never stops the rest."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def close_quietly(thing: object) -> None:
    """Calls ``thing.close()`` when it has one; a failure is logged, never raised (shutdown goes on)."""
    close = getattr(thing, "close", None)
    if not callable(close):
        return
    try:
        close()
    except Exception:
        log.warning("closing %r failed", thing, exc_info=True)
