"""API 02's analytics against a real server, with real clients (httpx, ``websockets``): the
overview's four figures and changes per scope, trends per day and week, and WS /api/ws/analytics
(1008 without a token, trend topics with their params, typed events as they happen, who hears what).

The platform is shared by every test of the session, so exact figures are read over a period of
2003 that only this module writes into (leads, subscriptions and messages dated there with SQL).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from agents_support import Account, exchange, next_of, ws_url
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from ragplatform.events import PlatformEvent

if TYPE_CHECKING:
    from serve_support import LiveServer

    from ragplatform.factory import Platform

WS_PATH = "/api/ws/analytics"
MARCH = {"start_date": "2003-03-01", "end_date": "2003-03-31"}
FIRST_WEEK = {"start_date": "2003-03-01T00:00:00Z", "end_date": "2003-03-08T00:00:00Z"}
LIVE_WEEK = {"start_date": "2004-03-01T00:00:00Z", "end_date": "2004-03-08T00:00:00Z"}  # the socket's test
KPIS = {"total_leads", "active_conversations", "conversion_rate", "total_revenue"}


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def add_lead(platform: Platform, user_id: str | None, created: str, status: str = "new",
             email: str | None = None) -> str:  # fmt: skip
    lead_id, email = str(uuid.uuid4()), email or f"{uuid.uuid4().hex[:12]}@example.org"
    with platform.pool.connection() as conn:
        conn.execute(
            "INSERT INTO lead (id, email, email_key, user_id, status, created_at) VALUES (%s, %s, %s, %s, %s, %s)",
            [lead_id, email, email.strip().lower(), user_id, status, at(created)],
        )
    return lead_id


def add_subscription(platform: Platform, user_id: str, started: str, price: str, status: str = "active",
                     email: str | None = None) -> None:  # fmt: skip
    with platform.pool.connection() as conn:
        conn.execute(
            "INSERT INTO user_subscriptions (id, user_id, customer_email, status, start_date, final_price)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            [str(uuid.uuid4()), user_id, email, status, at(started), Decimal(price)],
        )


def add_conversation(platform: Platform, owner: str, *days: str) -> str:
    session = platform.sessions.create_session(owner, metadata={"private": True})
    for day in days:
        message = platform.sessions.add_message(session.id, "user", "hello")
        with platform.pool.connection() as conn:
            conn.execute("UPDATE chat_message SET created_at = %s WHERE id = %s", [at(day), message.id])
    return session.id


@pytest.fixture(scope="module")
def in_2003(platform: Platform, live_server: LiveServer) -> dict[str, str]:
    """Two accounts' data in March 2003 and the 30 days before it (the only rows of that time):
    leads: Ada 3 in March (converted; paying by e-mail; new) and 2 before, Ben 1 in March, one
    without an account in March; subscriptions: Ada 100 active + 20 failed in March and 50 before,
    Ben 30 paid in March; conversations: Ada's on March 2 and 3, another on February 15, Ben's
    on March 3, an open one on March 4."""
    ada, ben = (platform.content.create_user(f"{n}-{uuid.uuid4().hex[:8]}@example.org", None) for n in "ab")
    add_lead(platform, ada.id, "2003-03-02T10:00", "converted")
    add_lead(platform, ada.id, "2003-03-02T11:00", email=f"Payer-{ada.id}@Example.org")
    add_lead(platform, ada.id, "2003-03-05T00:00")
    add_lead(platform, ada.id, "2003-02-10T00:00", "converted")
    add_lead(platform, ada.id, "2003-01-30T00:00")
    add_lead(platform, ben.id, "2003-03-03T00:00")
    add_lead(platform, None, "2003-03-04T00:00")
    add_subscription(platform, ada.id, "2003-03-05", "100.00", email=f" payer-{ada.id}@example.org")
    add_subscription(platform, ada.id, "2003-03-07", "20.00", status="failed")
    add_subscription(platform, ada.id, "2003-02-10", "50.00")
    add_subscription(platform, ben.id, "2003-03-03", "30.00", status="paid")
    add_conversation(platform, ada.id, "2003-03-02T09:00", "2003-03-03T09:00")
    add_conversation(platform, ada.id, "2003-02-15T09:00")
    add_conversation(platform, ben.id, "2003-03-03T10:00")
    add_conversation(platform, "open:visitor-2003", "2003-03-04T10:00")
    return {"ada": ada.id, "ben": ben.id}


def bearer(platform: Platform, user_id: str) -> dict[str, str]:
    from ragserve.auth import create_token

    return {"Authorization": f"Bearer {create_token(platform, platform.content.get_user(user_id))[0]}"}


def kpis(body: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    assert set(body) == KPIS
    assert all(set(kpi) == {"value", "change"} for kpi in body.values())
    return {name: (kpi["value"], kpi["change"]) for name, kpi in body.items()}


# -- REST ------------------------------------------------------------------------------------------


def test_the_overview_is_scoped_admins_all_users_their_own(
    client: httpx.Client, platform: Platform, in_2003: dict[str, str], admin: Account
) -> None:
    r = client.get("/api/analytics/overview", params=MARCH, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert kpis(r.json()) == {
        "total_leads": (5, 150.0),  # 5 against 2
        "active_conversations": (3, 200.0),  # Ada's first, Ben's, the open one; against Ada's second
        "conversion_rate": (40.0, -20.0),  # 2 of 5 against 1 of 2
        "total_revenue": (130.0, 160.0),  # 100 + 30 (the failed payment took nothing) against 50
    }
    ada = client.get("/api/analytics/overview", params=MARCH, headers=bearer(platform, in_2003["ada"]))
    assert kpis(ada.json()) == {
        "total_leads": (3, 50.0),
        "active_conversations": (1, 0.0),
        "conversion_rate": (66.7, 33.3),
        "total_revenue": (100.0, 100.0),
    }
    ben = client.get("/api/analytics/overview", params=MARCH, headers=bearer(platform, in_2003["ben"]))
    assert kpis(ben.json()) == {
        "total_leads": (1, None),  # from nothing: no percentage
        "active_conversations": (1, None),
        "conversion_rate": (0.0, 0.0),
        "total_revenue": (30.0, None),
    }


def test_the_overview_defaults_to_the_last_30_days(client: httpx.Client, alice: Account) -> None:
    r = client.get("/api/analytics/overview", headers=alice.headers)
    assert r.status_code == 200, r.text
    assert kpis(r.json()) == {name: (0, 0.0) for name in KPIS}  # a new account has nothing yet


def test_trends_per_day_and_week_zero_filled(
    client: httpx.Client, platform: Platform, in_2003: dict[str, str], admin: Account
) -> None:
    def trend(headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
        r = client.get("/api/analytics/trends", params=params, headers=headers)
        assert r.status_code == 200, r.text
        points: list[dict[str, Any]] = r.json()
        return points

    ada = bearer(platform, in_2003["ada"])
    daily = trend(ada, metric="leads", **FIRST_WEEK)
    assert daily == [
        {"date": f"2003-03-0{d}", "value": v} for d, v in zip(range(1, 8), [0, 2, 0, 0, 1, 0, 0], strict=True)
    ]
    assert [p["value"] for p in trend(admin.headers, metric="leads", **FIRST_WEEK)] == [0, 2, 1, 1, 1, 0, 0]
    conversations = trend(admin.headers, metric="conversations", aggregation="daily", **FIRST_WEEK)
    assert [p["value"] for p in conversations] == [0, 1, 2, 1, 0, 0, 0]
    weekly = trend(
        admin.headers, metric="revenue", aggregation="weekly", start_date="2003-03-01", end_date="2003-03-15"
    )
    assert weekly == [{"date": "2003-02-24", "value": 0}, {"date": "2003-03-03", "value": 130.0},
                      {"date": "2003-03-10", "value": 0}]  # fmt: skip
    assert [p["value"] for p in trend(ada, metric="conversations", aggregation="weekly", **MARCH)] == [
        1,
        1,
        0,
        0,
        0,
    ]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("overview", {"start_date": "2003-03-02", "end_date": "2003-03-01"}, "start_date"),
        ("overview", {"start_date": "2001-01-01", "end_date": "2003-01-01"}, "end_date"),
        ("trends", {"metric": "leads", "start_date": "1969-12-31", "end_date": "1970-01-02"}, "start_date"),
        ("overview", {"start_date": "yesterday"}, None),
        ("trends", {"metric": "churn"}, None),
        ("trends", {"metric": "leads", "aggregation": "hourly"}, None),
        ("trends", {}, None),
    ],
)
def test_bad_periods_and_parameters_are_422_with_a_detail(
    client: httpx.Client, alice: Account, path: str, params: dict[str, str], field: str | None
) -> None:
    r = client.get(f"/api/analytics/{path}", params=params, headers=alice.headers)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["detail"]
    if field is not None:
        assert body["field"] == field, body


def test_a_bearer_token_is_required(client: httpx.Client) -> None:
    for path in ("/api/analytics/overview", "/api/analytics/trends?metric=leads"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401


# -- WebSocket -------------------------------------------------------------------------------------


def socket(live_server: LiveServer, token: str | None) -> ClientConnection:
    return connect(ws_url(live_server, WS_PATH, token), open_timeout=30)


def subscribe(ws: ClientConnection, topic: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Subscribes; returns the trend's first envelope (or the error)."""
    reply = exchange(ws, {"type": "subscribe", "topic": topic, "params": params or {}})
    if reply["type"] == "error":
        return reply
    assert (reply["type"], reply["channel"], reply["topic"]) == ("subscribed", "analytics", topic)
    return json.loads(ws.recv(timeout=30)) if topic.endswith("_trends") else reply


@pytest.mark.parametrize("token", [None, "not-a-jwt"])
def test_the_socket_closes_with_1008_without_a_valid_token(
    live_server: LiveServer, token: str | None
) -> None:
    with socket(live_server, token) as ws, pytest.raises(ConnectionClosed) as closed:
        first = json.loads(ws.recv(timeout=10))
        assert (first["type"], first["code"]) == ("error", "UNAUTHORIZED")
        ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


def test_a_trend_topic_sends_its_series_then_a_fresh_one_after_each_event(
    live_server: LiveServer, platform: Platform, alice: Account, bob: Account, admin: Account
) -> None:
    with socket(live_server, alice.token) as ws, socket(live_server, bob.token) as other, \
            socket(live_server, admin.token) as watcher:  # fmt: skip
        first = subscribe(ws, "lead_trends", {**LIVE_WEEK, "aggregation": "daily"})
        assert (first["type"], first["channel"], first["topic"]) == ("event", "analytics", "lead_trends")
        assert first["data"] == [{"date": f"2004-03-0{d}", "value": 0} for d in range(1, 8)]
        assert first["ts"].endswith("Z")
        assert exchange(other, {"type": "ping"}) == {"type": "pong"}
        assert exchange(watcher, {"type": "ping"}) == {"type": "pong"}

        lead_id = add_lead(platform, alice.id, "2004-03-04T12:00")
        data = {"lead_id": lead_id, "user_id": alice.id, "created_at": "2004-03-04T12:00:00Z"}
        platform.events.publish(PlatformEvent("analytics", "lead_created", data, owner=alice.id))
        typed = json.loads(ws.recv(timeout=10))
        fresh = json.loads(ws.recv(timeout=30))
        seen_by_admin = next_of(
            watcher, lambda m: m["type"] == "lead_created" and m["data"]["lead_id"] == lead_id
        )

        own = {"lead_id": str(uuid.uuid4()), "user_id": bob.id, "created_at": "2004-03-04T12:00:00Z"}
        platform.events.publish(PlatformEvent("analytics", "lead_created", own, owner=bob.id))
        bobs = next_of(other, lambda m: m["type"] == "lead_created")

    assert typed == {"type": "lead_created", "data": data}
    assert (fresh["type"], fresh["topic"]) == ("event", "lead_trends")
    assert [p["value"] for p in fresh["data"]] == [0, 0, 0, 1, 0, 0, 0]
    assert seen_by_admin["data"] == data
    assert bobs["data"] == own  # Alice's lead never reached Bob


def test_weekly_params_and_the_revenue_topic(
    live_server: LiveServer, platform: Platform, in_2003: dict[str, str]
) -> None:
    from ragserve.auth import create_token

    token = create_token(platform, platform.content.get_user(in_2003["ada"]))[0]
    with socket(live_server, token) as ws:
        weekly = subscribe(ws, "lead_trends", {**MARCH, "aggregation": "weekly"})
        assert [p["date"] for p in weekly["data"]] == [
            "2003-02-24",
            "2003-03-03",
            "2003-03-10",
            "2003-03-17",
            "2003-03-24",
        ]
        assert [p["value"] for p in weekly["data"]] == [2, 1, 0, 0, 0]
        revenue = subscribe(ws, "revenue_trends", MARCH)
        assert len(revenue["data"]) == 30 and sum(p["value"] for p in revenue["data"]) == 100.0


def test_asking_and_deleting_a_session_are_pushed_with_the_conversation_trend(
    live_server: LiveServer, client: httpx.Client, alice: Account, bob: Account
) -> None:
    with socket(live_server, alice.token) as ws, socket(live_server, bob.token) as other:
        before = subscribe(ws, "conversation_trends")  # the last 30 days, daily
        assert len(before["data"]) in (30, 31) and before["data"][-1]["value"] == 0
        r = client.post("/rag/chat", json={"question": "What are the opening hours?"}, headers=alice.headers)
        assert r.status_code == 200, r.text
        session_id = r.json()["session_id"]
        created = next_of(ws, lambda m: m["type"] == "message_created")
        today = next_of(ws, lambda m: m["type"] == "event" and m["topic"] == "conversation_trends")
        assert client.delete(f"/sessions/{session_id}", headers=alice.headers).status_code == 200
        deleted = next_of(ws, lambda m: m["type"] == "conversation_deleted")
        after = next_of(ws, lambda m: m["type"] == "event" and m["data"][-1]["value"] == 0)
        assert exchange(other, {"type": "ping"}) == {"type": "pong"}  # nothing of Alice's was queued for Bob

    assert set(created["data"]) == {"conversation_id", "message_id", "user_id", "created_at"}
    assert (created["data"]["conversation_id"], created["data"]["user_id"]) == (session_id, alice.id)
    assert today["data"][-1]["value"] == 1
    assert deleted["data"]["conversation_id"] == session_id
    assert deleted["data"]["user_id"] == alice.id and deleted["data"]["deleted_at"].endswith("Z")
    assert after["topic"] == "conversation_trends"


def test_an_admin_hears_open_sessions_and_any_users_topic(
    live_server: LiveServer, client: httpx.Client, platform: Platform, admin: Account, bob: Account
) -> None:
    tag = uuid.uuid4().hex[:8]
    with socket(live_server, admin.token) as ws:
        assert subscribe(ws, f"user:{bob.id}")["type"] == "subscribed"
        r = client.post("/rag/chat", json={"user_id": f"anon-{tag}", "question": "Where is the library?"})
        assert r.status_code == 200, r.text
        anonymous = next_of(
            ws, lambda m: m["type"] == "message_created" and m["data"]["user_id"] == f"open:anon-{tag}"
        )
        data = {
            "subscription_id": str(uuid.uuid4()),
            "user_id": bob.id,
            "plan": "pro",
            "created_at": "2025-01-01T00:00:00Z",
        }
        platform.events.publish(PlatformEvent("analytics", "subscription_created", data, owner=bob.id))
        typed = next_of(ws, lambda m: m["type"] == "subscription_created")
        wrapped = next_of(ws, lambda m: m["type"] == "event")
    assert anonymous["data"]["conversation_id"] == r.json()["session_id"]
    assert typed["data"] == data
    assert (wrapped["topic"], wrapped["data"]) == (f"user:{bob.id}", data)


def test_topics_a_user_may_not_hear_and_bad_params(
    live_server: LiveServer, alice: Account, bob: Account
) -> None:
    with socket(live_server, alice.token) as ws:
        assert subscribe(ws, f"user:{alice.id}")["type"] == "subscribed"
        for topic in (f"user:{bob.id}", "workflow_run:abc123", "revenue", "lead_trends_x"):
            reply = subscribe(ws, topic)
            assert (reply["type"], reply["code"]) == ("error", "INVALID_TOPIC"), topic
        for params in (
            {"aggregation": "hourly"},
            {"start_date": "yesterday"},
            {"start_date": "2003-03-02", "end_date": "2003-03-01"},
            {"start_date": "2001-01-01", "end_date": "2003-01-01"},
            {"start": "2003-03-01"},
        ):
            reply = subscribe(ws, "lead_trends", params)
            assert (reply["type"], reply["code"]) == ("error", "BAD_REQUEST"), params
            assert reply["message"]
        reply = exchange(ws, {"type": "subscribe", "topic": "lead_trends", "params": ["daily"]})
        assert (reply["type"], reply["code"]) == ("error", "BAD_REQUEST")
        assert exchange(ws, {"type": "unsubscribe", "topic": "lead_trends"})["type"] == "unsubscribed"
        assert exchange(ws, {"type": "ping"}) == {"type": "pong"}
