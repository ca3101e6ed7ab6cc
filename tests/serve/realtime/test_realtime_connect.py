"""Connecting to Socket.IO on /socket.io: who gets in, and what a refused client is told."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import socketio
from realtime_support import ROOMS, Member, Recorder


async def test_a_valid_token_in_the_auth_payload_connects(
    live_server: Any, member: Callable[[str], Member], recorders: Callable[..., Recorder]
) -> None:
    m = member("Ada")
    r = recorders()
    await r.connect(live_server.url, auth={"token": m.token})
    assert r.client.connected
    assert ROOMS in r.client.namespaces


async def test_a_token_in_the_query_string_or_the_cookie_connects(
    live_server: Any, member: Callable[[str], Member], recorders: Callable[..., Recorder]
) -> None:
    m = member("Ada")
    by_query = recorders()
    await by_query.connect(live_server.url, query=f"?token={m.token}")
    assert by_query.client.connected
    by_cookie = recorders()
    await by_cookie.client.connect(
        live_server.url,
        headers={"Cookie": f"access_token={m.token}"},
        namespaces=[ROOMS],
        transports=["websocket"],
        wait_timeout=10,
    )
    assert by_cookie.client.connected


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        (None, "not authenticated"),
        ({"token": "not-a-jwt"}, "invalid token"),
    ],
    ids=["missing", "bad"],
)
async def test_the_assistant_namespace_refuses_a_missing_or_bad_token(
    live_server: Any, recorders: Callable[..., Recorder], auth: Any, message: str
) -> None:
    r = recorders()
    with pytest.raises(socketio.exceptions.ConnectionError, match="failed to connect"):
        await r.connect(live_server.url, auth=auth)
    assert not r.client.connected
    assert r.connect_errors, "the client must receive connect_error"
    assert message in r.connect_errors[0]["message"]


async def test_a_refresh_token_is_not_an_access_token(
    live_server: Any, platform: Any, member: Callable[[str], Member], recorders: Callable[..., Recorder]
) -> None:
    from ragserve.auth import create_token

    refresh, _ = create_token(platform, member("Ada").user, kind="refresh")
    r = recorders()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await r.connect(live_server.url, auth={"token": refresh})
    assert "access token" in r.connect_errors[0]["message"]


async def test_the_default_namespace_is_open_but_refuses_a_bad_token(
    live_server: Any, member: Callable[[str], Member], recorders: Callable[..., Recorder]
) -> None:
    anonymous = recorders("/")
    await anonymous.connect(live_server.url)
    assert anonymous.client.connected
    signed_in = recorders("/")
    await signed_in.connect(live_server.url, auth={"token": member("Ada").token})
    assert signed_in.client.connected
    bad = recorders("/")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await bad.connect(live_server.url, auth={"token": "expired-or-forged"})
    assert "invalid token" in bad.connect_errors[0]["message"]


async def test_connection_count_follows_the_clients(
    live_server: Any, member: Callable[[str], Member], recorders: Callable[..., Recorder]
) -> None:
    async def connection_count() -> int:
        """The ``socketio_connections_open`` gauge of ``/internal/metrics``, as a monitor reads it."""
        async with httpx.AsyncClient(base_url=live_server.url) as http:
            text = (await http.get("/internal/metrics")).text
        line = next(x for x in text.splitlines() if x.startswith("socketio_connections_open "))
        return int(float(line.split()[1]))

    for _ in range(100):  # let connections of earlier tests finish closing, so the baseline holds still
        if (await connection_count()) == 0:
            break
        await asyncio.sleep(0.1)
    before = await connection_count()
    r = recorders()
    await r.connect(live_server.url, auth={"token": member("Ada").token})
    assert (await connection_count()) == before + 1
    await r.close()
    for _ in range(50):
        if (await connection_count()) == before:
            break
        await asyncio.sleep(0.1)
    assert (await connection_count()) == before


async def test_engine_io_answers_at_the_default_path(live_server: Any) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        r = await http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
    assert r.status_code == 200
    assert r.text.startswith("0{") and '"sid"' in r.text  # an Engine.IO open packet
