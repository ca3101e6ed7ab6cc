"""The served API as a notebook sees it: ``ragserve``'s ``/health``."""

from __future__ import annotations

from typing import Any

from ragplatform.registry.base import IndexVersion


def api_health(url: str, timeout_s: float = 10.0) -> dict[str, Any]:
    """``GET {url}/health`` as JSON. Raises httpx.HTTPError when it does not answer."""
    import httpx

    response = httpx.get(f"{url.rstrip('/')}/health", timeout=timeout_s)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def serving_same_registry(url: str, production: IndexVersion | None) -> bool:
    """Whether a ``ragserve`` answers at ``url`` and serves ``production`` (the same collection,
    hence the same engines as the notebook). Unknowable without a production version: False."""
    if not url or production is None:
        return False
    try:
        served = api_health(url, timeout_s=3.0).get("index") or {}
    except Exception:
        return False
    return bool(served.get("collection") == production.collection)
