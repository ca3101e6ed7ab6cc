"""API 01 /mongodb/*: the session log, one exchange at a time, over the shared session store."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from ragplatform.errors import NotFound

if TYPE_CHECKING:
    from ragplatform.factory import Platform

EXCHANGE_FIELDS = {
    "session_id", "created_at", "factor", "action", "message", "user_id",
    "username", "first_name", "last_name", "response",
}  # fmt: skip


def exchange(session_id: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "session_id": session_id,
        "factor": "user",
        "action": "asking_freely",
        "message": "When does the museum open?",
        "user_id": "tg-42",
        "username": "ada",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "response": "At nine.",
    }
    return body | overrides


def test_create_session_stores_the_exchange_as_a_message_pair(
    client: httpx.Client, platform: Platform
) -> None:
    sid = f"tg-{uuid.uuid4()}"
    r = client.post("/mongodb/session", json=exchange(sid))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == EXCHANGE_FIELDS
    assert body | {"created_at": None} == exchange(sid) | {"created_at": None}
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    session = platform.sessions.get_session(sid)
    assert session.user_id == "open:tg-42"  # open-dialect ids live in their own namespace (issue 9)
    assert {k: session.metadata[k] for k in ("factor", "action", "username", "first_name", "last_name")} == {
        "factor": "user", "action": "asking_freely", "username": "ada", "first_name": "Ada", "last_name": "Lovelace",
    }  # fmt: skip
    assert [(m.role, m.content) for m in platform.sessions.list_messages(sid)] == [
        ("user", "When does the museum open?"),
        ("assistant", "At nine."),
    ]


def test_posting_again_appends_and_get_returns_the_latest_exchange(client: httpx.Client) -> None:
    sid = f"tg-{uuid.uuid4()}"
    client.post("/mongodb/session", json=exchange(sid))
    r = client.post("/mongodb/session", json=exchange(sid, message="And on Sunday?", response="At ten."))
    assert r.status_code == 200
    got = client.get(f"/mongodb/session/{sid}")
    assert got.status_code == 200
    body = got.json()
    assert set(body) == EXCHANGE_FIELDS
    assert (body["message"], body["response"], body["first_name"]) == ("And on Sunday?", "At ten.", "Ada")


def test_get_unknown_session_is_404_in_the_documented_shape(client: httpx.Client) -> None:
    r = client.get(f"/mongodb/session/{uuid.uuid4()}")
    assert r.status_code == 404
    assert r.json() == {"detail": "Session not found"}


def test_update_response_replaces_the_latest_answer(client: httpx.Client, platform: Platform) -> None:
    sid = f"tg-{uuid.uuid4()}"
    client.post("/mongodb/session", json=exchange(sid, response=""))
    r = client.put(f"/mongodb/session/{sid}/response", params={"response_text": "At half past nine."})
    assert r.status_code == 200
    assert r.json() == {"status": "success", "message": "Response updated successfully", "session_id": sid}
    assert client.get(f"/mongodb/session/{sid}").json()["response"] == "At half past nine."
    r = client.put(f"/mongodb/session/{sid}/response", params={"response_text": "At nine sharp."})
    assert r.status_code == 200
    roles = [(m.role, m.content) for m in platform.sessions.list_messages(sid)]
    assert roles == [("user", "When does the museum open?"), ("assistant", "At nine sharp.")]


def test_update_response_of_unknown_session_is_404(client: httpx.Client) -> None:
    r = client.put(f"/mongodb/session/{uuid.uuid4()}/response", params={"response_text": "x"})
    assert r.status_code == 404
    assert r.json() == {"detail": "Session not found"}
    r = client.put(f"/mongodb/session/{uuid.uuid4()}/response")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "response_text"]


def test_history_returns_the_users_last_n_exchanges_oldest_first(client: httpx.Client) -> None:
    user = f"hist-{uuid.uuid4()}"
    sid = f"tg-{uuid.uuid4()}"
    for i in range(4):
        client.post("/mongodb/session", json=exchange(sid, user_id=user, message=f"q{i}", response=f"a{i}"))
    r = client.get("/mongodb/history", params={"user_id": user, "n": 2})
    assert r.status_code == 200
    assert r.json() == {"history": [{"question": "q2", "answer": "a2"}, {"question": "q3", "answer": "a3"}]}
    assert len(client.get("/mongodb/history", params={"user_id": user}).json()["history"]) == 3
    assert client.get("/mongodb/history", params={"user_id": "nobody-" + user}).json() == {"history": []}


@pytest.mark.parametrize("n", [0, 101, "three"])
def test_history_bounds_n(client: httpx.Client, n: object) -> None:
    r = client.get("/mongodb/history", params={"user_id": "u", "n": n})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "n"]


def test_history_of_an_account_is_private_to_it(
    client: httpx.Client, platform: Platform, admin_headers: dict[str, str]
) -> None:
    """An anonymous client that sends an account's id as ``user_id`` writes into its own open
    namespace (issue 9): the account's sessions and history, read with its token, never hold it."""
    admin = platform.content.get_user_by_username(platform.settings.admin_username)
    sid = f"tg-{uuid.uuid4()}"
    client.post("/mongodb/session", json=exchange(sid, user_id=admin.id, message="Impersonated?"))
    own = client.get("/mongodb/history", params={"user_id": admin.id, "n": 100}, headers=admin_headers).json()
    assert "Impersonated?" not in [h["question"] for h in own["history"]]
    listed = client.get("/sessions", params={"limit": 100}, headers=admin_headers).json()
    assert sid not in [s["session_id"] for s in listed["sessions"]]


def test_query_language_strings_are_stored_verbatim(client: httpx.Client, platform: Platform) -> None:
    sid = f"tg-{uuid.uuid4()}"
    hostile = {
        "message": '{"$where": "sleep(1000)"}',
        "user_id": "x'; DROP TABLE chat_session; --",
        "response": '{"$gt": ""}',
        "first_name": "$ne",
    }
    r = client.post("/mongodb/session", json=exchange(sid, **hostile))
    assert r.status_code == 200
    body = client.get(f"/mongodb/session/{sid}").json()
    assert {k: body[k] for k in hostile} == hostile
    history = client.get("/mongodb/history", params={"user_id": hostile["user_id"]}).json()["history"]
    assert history == [{"question": hostile["message"], "answer": hostile["response"]}]
    assert platform.sessions.count_sessions() > 0  # the table is still there


def test_invalid_exchange_is_422_and_writes_nothing(client: httpx.Client, platform: Platform) -> None:
    sid = f"tg-{uuid.uuid4()}"
    body = exchange(sid)
    del body["message"]
    r = client.post("/mongodb/session", json=body)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "message"]
    r = client.post("/mongodb/session", json=exchange(sid, user_id={"$ne": None}))
    assert r.status_code == 422
    r = client.post("/mongodb/session", json=exchange(sid, message="x" * 20_001))
    assert r.status_code == 422
    r = client.post("/mongodb/session", json=exchange(sid, response="the database refuses \x00"))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "response"]
    with pytest.raises(NotFound):
        platform.sessions.get_session(sid)


def test_an_idk_response_marks_the_exchange_unanswered(client: httpx.Client, platform: Platform) -> None:
    sid = f"tg-{uuid.uuid4()}"
    client.post("/mongodb/session", json=exchange(sid, response="I don't know, sorry."))
    answer = platform.sessions.list_messages(sid)[-1]
    assert answer.metadata["unanswered"] is True
