"""Session-wide accounts and a WebSocket chat helper for the API 04 tests (on the shared live server)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import pytest
from api04_support import Account, Ask, ask_over_ws, sign_up

if TYPE_CHECKING:
    from serve_support import LiveServer


@pytest.fixture(scope="session")
def alice(live_server: LiveServer) -> Account:
    return sign_up(live_server.url, "Alice")


@pytest.fixture(scope="session")
def bob(live_server: LiveServer) -> Account:
    return sign_up(live_server.url, "Bob")


@pytest.fixture(scope="session")
def ask(live_server: LiveServer) -> Ask:
    """``ask(token, question, session_id=None)`` → the server's messages, ending with ``done``."""
    return functools.partial(ask_over_ws, live_server)
