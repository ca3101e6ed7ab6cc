"""The console against a live ``ragserve``: one real uvicorn on a free localhost port for the whole
session, over the session's real platform (tests/conftest.py), and the admin's API client that
tests use to check what a page changed."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# LiveServer lives beside the API tests; tests have no packages, so its folder goes on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serve"))

from serve_support import LiveServer

from ragplatform.client import RagClient

if TYPE_CHECKING:
    from ragplatform.factory import Platform


@pytest.fixture(scope="session")
def console_api(platform: Platform) -> Iterator[LiveServer]:
    """ragserve for the console tests; pages find it through ``CONSOLE__API_URL``."""
    from ragserve.main import create_app

    previous = os.environ.get("CONSOLE__API_URL")
    with LiveServer(create_app(platform.settings, platform=platform)) as server:
        os.environ["CONSOLE__API_URL"] = server.url
        yield server
    if previous is None:
        os.environ.pop("CONSOLE__API_URL", None)
    else:
        os.environ["CONSOLE__API_URL"] = previous


@pytest.fixture(scope="session")
def admin_credentials(platform: Platform) -> tuple[str, str]:
    s = platform.settings
    return s.admin_username, s.admin_password.get_secret_value()


@pytest.fixture(scope="session")
def admin_token(console_api: LiveServer, admin_credentials: tuple[str, str]) -> str:
    with RagClient(console_api.url) as api:
        return api.login(*admin_credentials)


@pytest.fixture
def api(console_api: LiveServer, admin_token: str) -> Iterator[RagClient]:
    """The admin's client: what the API returns after a page acted."""
    with RagClient(console_api.url, token=admin_token, timeout=60) as client:
        yield client
