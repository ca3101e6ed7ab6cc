"""API 03 before any index is promoted: ``503 {"detail": "Retrieval system not available"}`` as
JSON, before any event, on a real server over its own fresh engines (nothing promoted there)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from serve_support import LiveServer

if TYPE_CHECKING:
    from ragplatform.settings import Settings


@pytest.fixture(scope="module")
def empty_server(settings: Settings) -> Iterator[str]:
    from ragplatform.db.embedded import stop_embedded_postgres
    from ragplatform.factory import build_platform
    from ragserve.main import create_app

    data_dir = Path(tempfile.mkdtemp(prefix="ragplatform-noindex-"))  # enterable by pgserver's user
    own = settings.model_copy(update={"data_dir": data_dir})
    platform = build_platform(own)
    try:
        with LiveServer(create_app(own, platform=platform)) as server:
            yield server.url
    finally:
        platform.close()
        stop_embedded_postgres(own.pg_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.mark.parametrize("path", ["/sessions/{sid}/ask", "/ask"])
def test_without_a_served_index_ask_is_503_before_any_event(empty_server: str, path: str) -> None:
    with httpx.Client(base_url=empty_server, timeout=60) as client:
        sid = client.post("/sessions", json={"title": "no index"}).json()["session_id"]
        r = client.post(path.format(sid=sid), json={"question": "Who built the atmospheric engine?"})
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/json"
        assert r.json()["detail"].startswith("Retrieval system not available")
        assert client.get(f"/sessions/{sid}").json()["messages"] == []
