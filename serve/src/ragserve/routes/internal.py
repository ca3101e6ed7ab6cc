"""Routes of the served API (stub: filled in by the issue-3 work)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

router = APIRouter()


def install(app: FastAPI) -> None:
    """Adds request metrics middleware (stub)."""
    return None
