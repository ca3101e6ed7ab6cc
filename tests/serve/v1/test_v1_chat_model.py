"""A v1 chat's model chooses the generator of its answers (API 05), over HTTP and in its Socket.IO
room: a configured provider (a stand-in OpenAI-compatible server) answers; one not configured is a
clear 400."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import socketio
from provider_standins import StandIns, close_copy, configured_copy, standin_app
from serve_support import LiveServer

if TYPE_CHECKING:
    from conftest import SignedIn
    from ragplatform.factory import Platform

QUESTION = "Who was the inventor of the atmospheric engine?"


@pytest.fixture(scope="module")
def standins() -> Iterator[StandIns]:
    state = StandIns()
    server = LiveServer(standin_app(state))
    state.url = server.url
    with server:
        yield state


@pytest.fixture(scope="module")
def configured(platform: Platform, standins: StandIns) -> Iterator[LiveServer]:
    from ragserve.main import create_app

    copy = configured_copy(platform, standins.url)
    with LiveServer(create_app(platform=copy)) as server:
        yield server
    close_copy(copy, platform)


@pytest.fixture
def api(configured: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=configured.url, timeout=60) as c:
        yield c


def ask(api: httpx.Client, who: SignedIn, chat_id: str) -> dict[str, Any]:
    """Asks in the chat through API 03's stream; the text and the ``done`` event."""
    with api.stream(
        "POST", f"/sessions/{chat_id}/ask", json={"question": QUESTION}, headers=who.headers
    ) as r:
        assert r.status_code == 200
        events = [json.loads(line[5:]) for line in r.iter_lines() if line.startswith("data:")]
    assert not [e for e in events if e["type"] == "error"], events
    text = "".join(e["content"] for e in events if e["type"] == "content")
    return {"text": text, "done": events[-1]}


def test_a_chat_with_a_configured_model_is_answered_by_its_provider(
    api: httpx.Client, alice: SignedIn, standins: StandIns, platform: Platform
) -> None:
    r = api.post(
        "/api/v1/chat", json={"model_id": "gpt-test", "model_api_source": "openai"}, headers=alice.headers
    )
    assert r.status_code == 201, r.text
    chat = r.json()
    assert (chat["current_model_id"], chat["current_model_api_source"]) == ("gpt-test", "openai")
    answer = ask(api, alice, chat["chat_id"])
    assert answer["text"].startswith("openai says: Context passages:")
    assert answer["done"]["citations"], "the provider is given the retrieved passages, which are cited"
    sent = standins.last("openai")
    assert sent.body["model"] == "gpt-test" and QUESTION in sent.body["messages"][-1]["content"]
    stored = platform.sessions.list_messages(chat["chat_id"])
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[1].metadata["generator"] == "openai"
    listed = api.get(f"/api/v1/chat/{chat['chat_id']}/messages", headers=alice.headers).json()
    assert listed[1]["content"] == answer["text"]


def test_a_chat_with_the_default_model_is_answered_by_the_chain(
    api: httpx.Client, alice: SignedIn, standins: StandIns
) -> None:
    before = len(standins.requests)
    chat = api.post("/api/v1/chat", json={}, headers=alice.headers).json()
    answer = ask(api, alice, chat["chat_id"])
    assert "Newcomen" in answer["text"] and len(standins.requests) == before


def test_a_model_whose_provider_is_not_configured_is_400(client: httpx.Client, alice: SignedIn) -> None:
    for body, setting in (
        ({"model_id": "gpt-4", "model_api_source": "openai"}, "OPENAI_API_KEY"),
        ({"model_api_source": "groq"}, "GROQ_API_KEY"),
        ({"model_id": "claude-3-5-haiku-latest"}, "ANTHROPIC_API_KEY"),
    ):
        r = client.post("/api/v1/chat", json=body, headers=alice.headers)
        assert r.status_code == 400, r.text
        assert setting in r.json()["detail"]
    r = client.post(
        "/api/v1/chat", json={"model_id": "x", "model_api_source": "bedrock"}, headers=alice.headers
    )
    assert r.status_code == 400 and "unknown provider" in r.json()["detail"]


async def test_the_chats_room_is_answered_by_its_model(
    configured: LiveServer, alice: SignedIn, standins: StandIns
) -> None:
    async with httpx.AsyncClient(base_url=configured.url, timeout=60) as api:
        r = await api.post(
            "/api/v1/chat",
            json={"model_id": "claude-test", "model_api_source": "anthropic"},
            headers=alice.headers,
        )
    chat_id = r.json()["chat_id"]
    token = alice.headers["Authorization"].removeprefix("Bearer ")
    received: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    sio = socketio.AsyncClient(reconnection=False)
    for event in ("room_joined", "message_received", "error"):
        sio.on(
            event,
            handler=lambda data, e=event: received.put_nowait((e, data)),
            namespace="/assistant/realtime",
        )
    await sio.connect(
        configured.url, auth={"token": token}, namespaces=["/assistant/realtime"], transports=["websocket"]
    )
    try:
        await sio.emit("join_room", {"room_id": chat_id}, namespace="/assistant/realtime")
        assert (await asyncio.wait_for(received.get(), 10))[0] == "room_joined"
        await sio.emit(
            "send_message", {"room_id": chat_id, "content": QUESTION}, namespace="/assistant/realtime"
        )
        while True:
            event, data = await asyncio.wait_for(received.get(), 30)
            assert event != "error", data
            if data.get("role") == "assistant":
                break
    finally:
        await sio.disconnect()
    assert data["content"].startswith("anthropic says: Context passages:")
    assert standins.last("anthropic").body["model"] == "claude-test"


async def test_a_room_created_with_an_unconfigured_model_is_refused(
    live_server: LiveServer, alice: SignedIn
) -> None:
    token = alice.headers["Authorization"].removeprefix("Bearer ")
    received: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    sio = socketio.AsyncClient(reconnection=False)
    sio.on(
        "error", handler=lambda data: received.put_nowait(("error", data)), namespace="/assistant/realtime"
    )
    await sio.connect(
        live_server.url, auth={"token": token}, namespaces=["/assistant/realtime"], transports=["websocket"]
    )
    try:
        room = {"name": "r", "model_id": "gpt-4", "model_api_source": "openai"}
        await sio.emit("create_room", room, namespace="/assistant/realtime")
        _, data = await asyncio.wait_for(received.get(), 10)
    finally:
        await sio.disconnect()
    assert data["event"] == "create_room" and "OPENAI_API_KEY" in data["detail"]
