"""SSE helpers for API 03 tests, as fixtures."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

Events = tuple[httpx.Response, list[dict[str, Any]]]


@pytest.fixture
def ask_sse(client: httpx.Client) -> Callable[[str, dict[str, Any]], Events]:
    """POSTs and reads the whole event stream: (response, every ``data:`` payload parsed as JSON)."""

    def ask(path: str, body: dict[str, Any]) -> Events:
        with connect_sse(client, "POST", path, json=body) as source:
            events = [json.loads(sse.data) for sse in source.iter_sse() if sse.data]
            return source.response, events

    return ask
