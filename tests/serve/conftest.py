"""A real uvicorn server on a free localhost port, over the session's real platform."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from serve_support import LiveServer

if TYPE_CHECKING:
    from ragplatform.factory import Platform


@pytest.fixture(scope="session")
def live_server(platform: Platform) -> Iterator[LiveServer]:
    from ragserve.main import create_app

    with LiveServer(create_app(platform.settings, platform=platform)) as server:
        yield server


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=60) as c:
        yield c
