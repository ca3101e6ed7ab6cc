"""Socket.IO (stub: filled in by the issue-3 work)."""

from __future__ import annotations

from fastapi import FastAPI

from ragplatform.factory import Platform


def install(app: FastAPI, platform_getter: object) -> None:
    """Mounts the Socket.IO server on ``app``."""
    return None


def on_startup(platform: Platform) -> None:
    return None
