"""GET /api/metrics and /api/metrics/sessions/{id}: figures move with the questions asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
from api04_support import sign_up

if TYPE_CHECKING:
    from api04_support import Account, Ask
    from serve_support import LiveServer

    from ragplatform.factory import Platform

KNOWN = "Who was the inventor of the atmospheric engine?"
UNKNOWN = "What is the airspeed velocity of an unladen swallow in knots?"


def test_a_user_sees_their_own_questions_and_unanswered_rate(
    client: httpx.Client, ask: Ask, live_server: LiveServer
) -> None:
    carol = sign_up(live_server.url, "Carol")
    empty = client.get("/api/metrics", headers=carol.headers).json()
    assert (empty["scope"], empty["questions"], empty["per_day"]) == ("user", 0, [])
    ask(carol.token, KNOWN)
    ask(carol.token, UNKNOWN)
    r = client.get("/api/metrics", headers=carol.headers)
    assert r.status_code == 200
    m = r.json()
    assert (m["user_id"], m["questions"], m["unanswered"], m["unanswered_rate"]) == (carol.id, 2, 1, 0.5)
    assert 0 < m["latency_p50_ms"] <= m["latency_p95_ms"]
    assert m["tokens"]["total"] == m["tokens"]["prompt"] + m["tokens"]["completion"]
    assert m["per_day"] == [
        {
            "day": datetime.now(UTC).date().isoformat(),
            "questions": 2,
            "unanswered": 1,
            "latency_p50_ms": m["per_day"][0]["latency_p50_ms"],
            "latency_p95_ms": m["per_day"][0]["latency_p95_ms"],
        }
    ]
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert client.get("/api/metrics", headers=carol.headers, params={"since": later}).json()["questions"] == 0
    bad = client.get(
        "/api/metrics", headers=carol.headers, params={"since": later, "until": "2000-01-01T00:00:00"}
    )
    assert bad.status_code == 422


def test_an_admin_sees_global_figures(
    client: httpx.Client, ask: Ask, alice: Account, platform: Platform
) -> None:
    s = platform.settings
    login = client.post(
        "/api/login", json={"email": s.admin_username, "password": s.admin_password.get_secret_value()}
    )
    admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
    before = client.get("/api/metrics", headers=admin).json()
    ask(alice.token, KNOWN)
    after = client.get("/api/metrics", headers=admin).json()
    assert after["scope"] == "global" and after["user_id"] is None
    assert after["questions"] == before["questions"] + 1
    assert sum(d["questions"] for d in after["per_day"]) == after["questions"]
    assert any(q["question"] == KNOWN for q in after["top_questions"])
    own = client.get("/api/metrics", headers=alice.headers).json()
    assert own["scope"] == "user" and own["questions"] < after["questions"]
    one = client.get("/api/metrics", headers=admin, params={"user_id": alice.id}).json()
    assert one["questions"] == own["questions"]


def test_session_metrics_for_the_owner_only(
    client: httpx.Client, ask: Ask, alice: Account, bob: Account
) -> None:
    session_id = ask(alice.token, KNOWN)[-1]["session_id"]
    ask(alice.token, UNKNOWN, session_id)
    r = client.get(f"/api/metrics/sessions/{session_id}", headers=alice.headers)
    assert r.status_code == 200, r.text
    m = r.json()
    assert (m["scope"], m["session_id"], m["user_id"]) == ("session", session_id, alice.id)
    assert (m["questions"], m["unanswered"], m["messages"]) == (2, 1, 4)
    assert m["per_day"][0]["questions"] == 2
    assert client.get(f"/api/metrics/sessions/{session_id}", headers=bob.headers).status_code == 404
    assert client.get("/api/metrics/sessions/no-such-session", headers=alice.headers).status_code == 404
    assert client.get(f"/api/metrics/sessions/{session_id}").status_code == 401
