"""API 03: /sessions CRUD against the live server."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest


def aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, f"{value} has no timezone"
    return parsed


def test_create_session_defaults_the_title(client: httpx.Client) -> None:
    r = client.post("/sessions", json={})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"session_id", "title", "created_at"}
    assert body["title"] == "New Chat"
    assert uuid.UUID(body["session_id"]).version == 4
    aware(body["created_at"])
    assert client.post("/sessions").json()["title"] == "New Chat"


def test_create_then_get_session(client: httpx.Client) -> None:
    created = client.post("/sessions", json={"title": "Test Chat Session"}).json()
    r = client.get(f"/sessions/{created['session_id']}")
    assert r.status_code == 200
    body = r.json()
    assert {k: body[k] for k in ("session_id", "title", "created_at")} == created
    assert body["messages"] == []
    assert body["message_count"] == 0
    assert aware(body["updated_at"]) >= aware(body["created_at"])


def test_list_sessions_has_summaries_and_total(client: httpx.Client) -> None:
    created = client.post("/sessions", json={"title": "Listed"}).json()
    r = client.get("/sessions")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"sessions", "total"}
    assert body["total"] >= len(body["sessions"]) >= 1
    mine = next(s for s in body["sessions"] if s["session_id"] == created["session_id"])
    assert set(mine) == {"session_id", "title", "created_at", "updated_at", "message_count"}
    assert (mine["title"], mine["message_count"]) == ("Listed", 0)
    stamps = [aware(s["updated_at"]) for s in body["sessions"]]
    assert stamps == sorted(stamps, reverse=True)
    assert len(client.get("/sessions", params={"limit": 1}).json()["sessions"]) == 1
    assert client.get("/sessions", params={"limit": 0}).status_code == 422


def test_update_session_title(client: httpx.Client) -> None:
    sid = client.post("/sessions", json={"title": "Old"}).json()["session_id"]
    r = client.put(f"/sessions/{sid}", json={"title": "Updated Chat Session"})
    assert r.status_code == 200
    assert r.json() == {"message": "Session updated successfully"}
    assert client.get(f"/sessions/{sid}").json()["title"] == "Updated Chat Session"


def test_delete_session(client: httpx.Client) -> None:
    sid = client.post("/sessions", json={}).json()["session_id"]
    r = client.delete(f"/sessions/{sid}")
    assert r.status_code == 200
    assert r.json() == {"message": "Session deleted successfully"}
    assert client.get(f"/sessions/{sid}").status_code == 404


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PUT", "", {"title": "x"}),
        ("DELETE", "", None),
        ("POST", "/ask", {"question": "hi"}),
    ],
)
def test_unknown_session_is_404(client: httpx.Client, method: str, suffix: str, body: object) -> None:
    r = client.request(method, f"/sessions/{uuid.uuid4()}{suffix}", json=body)
    assert r.status_code == 404
    assert r.json() == {"detail": "Session not found"}


@pytest.mark.parametrize("body", [{}, {"title": ""}, {"title": "x" * 201}, {"title": {"$ne": None}}])
def test_update_rejects_bad_titles(client: httpx.Client, body: dict[str, object]) -> None:
    sid = client.post("/sessions", json={"title": "Keep me"}).json()["session_id"]
    r = client.put(f"/sessions/{sid}", json=body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][:2] == ["body", "title"]
    assert client.get(f"/sessions/{sid}").json()["title"] == "Keep me"


def test_query_language_titles_are_stored_verbatim(client: httpx.Client) -> None:
    title = '\'; DROP TABLE chat_session; -- {"$where": "1"}'
    sid = client.post("/sessions", json={"title": title}).json()["session_id"]
    assert client.get(f"/sessions/{sid}").json()["title"] == title
