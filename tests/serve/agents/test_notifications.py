"""API 02's notifications against a real server, with real clients (httpx, ``websockets``):
REST list / filter / fetch / mark read, WS /api/ws/notifications (1008 without a valid token,
heartbeat, ping, subscribe, errors), both event formats, and isolation between users."""

from __future__ import annotations

import json
import threading
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from agents_support import Account, exchange, next_of
from agents_support import ws_url as channel_url
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

if TYPE_CHECKING:
    from serve_support import LiveServer

    from ragplatform.factory import Platform

NONSENSE = "What is the airspeed velocity of an unladen swallow in knots?"
WS_PATH = "/api/ws/notifications"


def ws_url(live_server: LiveServer, token: str | None = None) -> str:
    return channel_url(live_server, WS_PATH, token)


# -- REST ------------------------------------------------------------------------------------------


def test_list_filter_fetch_and_mark_read(client: httpx.Client, platform: Platform, alice: Account) -> None:
    first = platform.notifications.create(alice.id, "workflow_completed", "Rebuild done", severity="success")
    second = platform.notifications.create(
        alice.id, "lead_qualified", "A hot lead", "ada@example.org", severity="info", metadata={"score": 91}
    )
    r = client.get("/api/notifications", headers=alice.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [n["id"] for n in body["data"]] == [second.id, first.id]
    assert (body["count"], body["unread"]) == (2, 2)
    assert body["data"][0]["metadata"] == {"score": 91}
    assert set(body["data"][0]) >= {"id", "user_id", "notification_type", "severity", "title", "message",
                                    "read", "metadata", "action_url", "created_at"}  # fmt: skip

    r = client.post(f"/api/notifications/{first.id}/read", headers=alice.headers)
    assert (r.status_code, r.json()["read"]) == (200, True)
    unread = client.get("/api/notifications", params={"unread": "true"}, headers=alice.headers).json()
    assert ([n["id"] for n in unread["data"]], unread["count"], unread["unread"]) == ([second.id], 1, 1)
    fetched = client.get(f"/api/notifications/{second.id}", headers=alice.headers).json()
    assert (fetched["title"], fetched["read"], fetched["notification_type"]) == (
        "A hot lead",
        False,
        "lead_qualified",
    )

    r = client.post("/api/notifications/read-all", headers=alice.headers)
    assert r.json() == {"updated": 1}
    assert (
        client.get("/api/notifications", params={"unread": True}, headers=alice.headers).json()["data"] == []
    )
    paged = client.get("/api/notifications", params={"skip": 1, "limit": 1}, headers=alice.headers).json()
    assert [n["id"] for n in paged["data"]] == [first.id]


def test_a_user_never_sees_another_users_notifications(
    client: httpx.Client, platform: Platform, alice: Account, bob: Account
) -> None:
    secret = platform.notifications.create(alice.id, "payment", "Payment received", severity="success")
    assert client.get("/api/notifications", headers=bob.headers).json()["data"] == []
    assert client.get(f"/api/notifications/{secret.id}", headers=bob.headers).status_code == 404
    assert client.post(f"/api/notifications/{secret.id}/read", headers=bob.headers).status_code == 404
    assert client.post("/api/notifications/read-all", headers=bob.headers).json() == {"updated": 0}
    assert client.get(f"/api/notifications/{secret.id}", headers=alice.headers).json()["read"] is False
    assert client.get("/api/notifications/not-a-uuid", headers=alice.headers).status_code == 404


def test_a_bearer_token_is_required(client: httpx.Client) -> None:
    assert client.get("/api/notifications").status_code == 401
    assert client.post("/api/notifications/read-all").status_code == 401
    r = client.get("/api/notifications", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


# -- WebSocket -------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "not-a-jwt"])
def test_the_socket_closes_with_1008_without_a_valid_token(
    live_server: LiveServer, token: str | None
) -> None:
    with (
        connect(ws_url(live_server, token), open_timeout=30) as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):
        first = json.loads(ws.recv(timeout=10))
        assert (first["type"], first["code"]) == ("error", "UNAUTHORIZED")
        ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008


def test_a_bearer_header_is_accepted(live_server: LiveServer, alice: Account) -> None:
    with connect(ws_url(live_server), additional_headers=alice.headers, open_timeout=30) as ws:
        assert exchange(ws, {"type": "ping"}) == {"type": "pong"}


def test_heartbeat_ping_and_bad_requests(live_server: LiveServer, alice: Account) -> None:
    with connect(ws_url(live_server, alice.token), open_timeout=30) as ws:
        beat = exchange(ws, {"type": "heartbeat", "timestamp": "2023-06-15T12:34:56Z"})
        assert beat["type"] == "heartbeat" and beat["timestamp"].endswith("Z")
        assert exchange(ws, {"type": "ping"}) == {"type": "pong"}
        for bad in (
            "not json",
            json.dumps([1, 2]),
            json.dumps({"type": "dance"}),
            json.dumps({"no": "type"}),
        ):
            reply = exchange(ws, bad)
            assert (reply["type"], reply["code"]) == ("error", "BAD_REQUEST")
            assert reply["message"]
        assert exchange(ws, {"type": "ping"}) == {"type": "pong"}  # still open


def test_subscribe_to_own_topic_only(
    live_server: LiveServer, alice: Account, bob: Account, admin: Account
) -> None:
    with connect(ws_url(live_server, alice.token), open_timeout=30) as ws:
        ok = exchange(ws, {"type": "subscribe", "topic": f"user:{alice.id}", "params": {}})
        assert (ok["type"], ok["topic"]) == ("subscribed", f"user:{alice.id}")
        for topic in (f"user:{bob.id}", "lead_trends", 7, None):
            reply = exchange(ws, {"type": "subscribe", "topic": topic, "params": {}})
            assert (reply["type"], reply["code"]) == ("error", "INVALID_TOPIC"), topic
        assert exchange(ws, {"type": "unsubscribe", "topic": f"user:{alice.id}"})["type"] == "unsubscribed"
    with connect(ws_url(live_server, admin.token), open_timeout=30) as ws:
        assert exchange(ws, {"type": "subscribe", "topic": f"user:{bob.id}"})["type"] == "subscribed"


def test_the_documented_javascript_example_receives_both_event_formats(
    live_server: LiveServer, platform: Platform, alice: Account, bob: Account
) -> None:
    """The document's example, rewritten with ``websockets``:
    ``new WebSocket(`${API_WS}/api/ws/notifications?token=${jwt}`)``, subscribe to ``user:${userId}``
    on open, log every event. Bob, connected at the same time, hears nothing of Alice's."""
    api_ws, jwt, user_id = live_server.url.replace("http://", "ws://"), alice.token, alice.id
    with (
        connect(f"{api_ws}/api/ws/notifications?token={jwt}", open_timeout=30) as ws,
        connect(ws_url(live_server, bob.token), open_timeout=30) as other,
    ):
        ws.send(json.dumps({"type": "subscribe", "topic": f"user:{user_id}"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "subscribed"
        assert exchange(other, {"type": "ping"}) == {"type": "pong"}  # Bob is listening

        created = platform.notifications.create(
            alice.id,
            "workflow_failed",
            "Rebuild failed",
            "step evaluate",
            severity="error",
            action_url="/runs/1",
        )
        typed = json.loads(ws.recv(timeout=10))
        event = json.loads(ws.recv(timeout=10))
        own = platform.notifications.create(bob.id, "note", "For Bob")
        bobs = next_of(other, lambda m: m["type"] == "notification_created")

    assert typed["type"] == "notification_created"
    assert typed["data"] == {
        "notification_id": created.id, "user_id": alice.id, "notification_type": "workflow_failed",
        "severity": "error", "title": "Rebuild failed", "message": "step evaluate",
        "created_at": created.created_at.isoformat(), "read": False, "metadata": {},
    }  # fmt: skip
    assert (event["type"], event["channel"], event["topic"]) == ("event", "notifications", f"user:{alice.id}")
    assert event["data"] == {"id": created.id, "severity": "error", "title": "Rebuild failed",
                             "message": "step evaluate", "action_url": "/runs/1"}  # fmt: skip
    assert event["ts"]
    assert bobs["data"]["notification_id"] == own.id  # Alice's never reached Bob


def test_an_admin_listener_hears_of_an_unanswered_question(
    live_server: LiveServer, client: httpx.Client, admin: Account
) -> None:
    tag = uuid.uuid4().hex[:8]
    with connect(ws_url(live_server, admin.token), open_timeout=30) as ws:
        assert exchange(ws, {"type": "ping"}) == {"type": "pong"}
        answer: dict[str, Any] = {}

        def ask() -> None:
            r = client.post("/rag/chat", json={"user_id": f"anon-{tag}", "question": NONSENSE})
            answer.update(r.json())

        asker = threading.Thread(target=ask)
        asker.start()
        note = next_of(
            ws,
            lambda m: (
                m["type"] == "notification_created" and m["data"]["metadata"].get("asked_by") == f"anon-{tag}"
            ),
            timeout=120,
        )
        envelope = next_of(
            ws, lambda m: m["type"] == "event" and m["data"]["id"] == note["data"]["notification_id"]
        )
        asker.join(timeout=120)
    assert answer["unanswered"] is True
    assert (note["data"]["notification_type"], note["data"]["severity"]) == ("unanswered_question", "warning")
    assert note["data"]["user_id"] == admin.id
    assert note["data"]["metadata"]["question"] == NONSENSE
    assert envelope["topic"] == f"user:{admin.id}"
    r = client.get(f"/api/notifications/{note['data']['notification_id']}", headers=admin.headers)
    assert r.status_code == 200 and r.json()["notification_type"] == "unanswered_question"
