"""Fixtures for the generation tests: a fake provider server, a dead port, two short passages."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from gen_fakes import FakeProvider, start_fake_provider

from ragplatform.schema import Citation


@pytest.fixture
def fake_provider() -> Iterator[FakeProvider]:
    """A threaded HTTP server on a free 127.0.0.1 port; set ``.reply`` before calling it."""
    provider, server = start_fake_provider()
    yield provider
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the port was bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def contexts() -> list[Citation]:
    return [
        Citation(
            chunk_id="c1",
            source="handbook/library.md",
            title="Library",
            score=0.9,
            text=(
                "The central library is on Elm Street. It opens at 8 am on weekdays. "
                "The library closes at 6 pm on Fridays and at 9 pm on other weekdays."
            ),
        ),
        Citation(
            chunk_id="c2",
            source="handbook/parking.md",
            title="Parking",
            score=0.7,
            text="Visitors park in lot B. A parking permit costs 20 euros per month.",
        ),
    ]
