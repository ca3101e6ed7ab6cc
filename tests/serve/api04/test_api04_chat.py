"""WS /api/chat with the `websockets` client: streaming, history, token and session rules."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from api04_support import ws_url
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

if TYPE_CHECKING:
    from api04_support import Account, Ask
    from serve_support import LiveServer

    from ragplatform.factory import Platform

QUESTION = "Who was the inventor of the atmospheric engine?"


def test_chat_streams_status_and_content_then_done_with_citations(
    ask: Ask, alice: Account, bob: Account, platform: Platform, client: httpx.Client
) -> None:
    session_id = str(uuid.uuid4())
    events = ask(alice.token, QUESTION, session_id)
    types = [e["type"] for e in events]
    assert types[0] == "status" and events[0]["message"]
    assert "content" in types and types[-1] == "done"
    assert types.index("content") < len(types) - 1
    done = events[-1]
    streamed = "".join(e["content"] for e in events if e["type"] == "content")
    assert done["answer"] == streamed.strip()
    assert "Newcomen" in done["answer"]
    assert done["session_id"] == session_id
    assert done["unanswered"] is False
    assert any("steam-engine" in c["source"] for c in done["citations"])

    session = platform.sessions.get_session(session_id)
    assert session.user_id == alice.id and session.metadata["private"] is True
    messages = platform.sessions.list_messages(session_id)
    assert [(m.role, m.content) for m in messages] == [("user", QUESTION), ("assistant", done["answer"])]
    history = client.get(f"/sessions/{session_id}", headers=alice.headers)  # API 03 sees it too
    assert history.status_code == 200
    assert [m["content"] for m in history.json()["messages"]] == [QUESTION, done["answer"]]
    assert client.get(f"/sessions/{session_id}", headers=bob.headers).status_code == 404
    assert client.get(f"/sessions/{session_id}").status_code == 404


def test_chat_accepts_json_reports_bad_input_and_stays_open(live_server: LiveServer, alice: Account) -> None:
    with connect(ws_url(live_server, token=alice.token), open_timeout=30) as ws:
        ws.send("   ")
        assert json.loads(ws.recv(timeout=30)) == {
            "type": "error",
            "detail": "the message is empty: send your question as text",
        }
        ws.send(json.dumps({"text": "no message field"}))
        assert "message" in json.loads(ws.recv(timeout=30))["detail"]
        ws.send("x" * 5000)
        assert "limit" in json.loads(ws.recv(timeout=30))["detail"]
        ws.send(json.dumps({"message": "What is the airspeed velocity of an unladen swallow in knots?"}))
        events: list[dict[str, Any]] = []
        while not events or events[-1]["type"] != "done":
            events.append(json.loads(ws.recv(timeout=120)))
        done = events[-1]
        assert done["unanswered"] is True and done["citations"] == []
        assert uuid.UUID(done["session_id"]).version == 4  # started without a session_id


def test_chat_takes_the_token_from_the_authorization_header(live_server: LiveServer, alice: Account) -> None:
    with connect(ws_url(live_server), additional_headers=alice.headers, open_timeout=30) as ws:
        ws.send(QUESTION)
        while (event := json.loads(ws.recv(timeout=120)))["type"] != "done":
            pass
        assert "Newcomen" in event["answer"]


@pytest.mark.parametrize("token", ["not-a-jwt", None])
def test_chat_closes_with_1008_without_a_valid_token(live_server: LiveServer, token: str | None) -> None:
    url = ws_url(live_server, **({"token": token} if token else {}))
    with connect(url, open_timeout=30) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=30)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    assert "token" in closed.value.rcvd.reason or "authenticated" in closed.value.rcvd.reason


def test_another_users_session_is_closed_as_not_found(
    ask: Ask, live_server: LiveServer, alice: Account, bob: Account, platform: Platform
) -> None:
    session_id = ask(alice.token, QUESTION)[-1]["session_id"]
    url = ws_url(live_server, token=bob.token, session_id=session_id)
    with connect(url, open_timeout=30) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=30)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, "Session not found")
    assert len(platform.sessions.list_messages(session_id)) == 2
