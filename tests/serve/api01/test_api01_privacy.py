"""Issue 9's security probe, kept as regressions: a listener without a token on ``WS /notify`` never
hears a signed-in account's questions, and an anonymous client that sends an account's id as
``user_id`` neither writes into nor reads that account's sessions."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import websockets

if TYPE_CHECKING:
    from ragplatform.factory import Platform

UNANSWERABLE = "What is the airspeed velocity of an unladen swallow in knots?"


def signup(client: httpx.Client) -> tuple[str, dict[str, str]]:
    """A fresh account: its id and its bearer header."""
    email = f"p-{uuid.uuid4().hex[:10]}@example.com"
    r = client.post("/api/signup", json={"email": email, "password": "correct horse 42", "name": "Pat"})
    assert r.status_code in (200, 201), r.text
    login = client.post("/api/login", json={"email": email, "password": "correct horse 42"}).json()
    return str(login["user"]["id"]), {"Authorization": f"Bearer {login['access_token']}"}


async def notes_while(
    url: str, act: Any, wait_for_session: str, timeout: float = 8.0
) -> list[dict[str, Any]]:
    """Every ``new_session`` message a listener at ``url`` receives while ``act`` runs, until one for
    ``wait_for_session`` arrives or ``timeout`` passes."""
    received: list[dict[str, Any]] = []
    async with websockets.connect(url) as ws:
        await ws.send("keepalive")
        await asyncio.wait_for(ws.recv(), 10)
        await asyncio.to_thread(act)
        try:
            while True:
                message = await asyncio.wait_for(ws.recv(), timeout)
                if message == "keepalive_ack":
                    continue
                note: dict[str, Any] = json.loads(message)
                received.append(note)
                if note["data"]["session_id"] == wait_for_session:
                    break
        except TimeoutError:
            pass
    return received


def test_anonymous_listener_does_not_hear_a_signed_in_question(
    client: httpx.Client, admin_headers: dict[str, str]
) -> None:
    _, alice = signup(client)
    ws_url = client.get("/notify").json()["full_url"]
    admin_url = f"{ws_url}?token={admin_headers['Authorization'].removeprefix('Bearer ')}"
    sid = str(uuid.uuid4())
    private_question = f"{UNANSWERABLE} ({uuid.uuid4().hex[:6]})"

    def ask() -> None:
        r = client.post(
            "/rag/chat", json={"question": private_question, "session_id": sid, "user_id": "x"}, headers=alice
        )
        assert r.status_code == 200 and r.json()["unanswered"], r.text

    anonymous = asyncio.run(notes_while(ws_url, ask, sid, timeout=4))
    assert all(n["data"]["message"] != private_question for n in anonymous)
    assert all(n["data"]["session_id"] != sid for n in anonymous)

    sid2 = str(uuid.uuid4())

    def ask_again() -> None:
        r = client.post("/rag/chat", json={"question": private_question, "session_id": sid2}, headers=alice)
        assert r.status_code == 200, r.text

    admin = asyncio.run(notes_while(admin_url, ask_again, sid2))
    assert any(n["data"]["session_id"] == sid2 for n in admin), "admins hear every unanswered question"


def test_anonymous_listener_still_hears_open_sessions(client: httpx.Client) -> None:
    ws_url = client.get("/notify").json()["full_url"]
    sid = str(uuid.uuid4())

    def ask() -> None:
        client.post("/rag/chat", json={"question": UNANSWERABLE, "session_id": sid, "user_id": "kiosk-1"})

    notes = asyncio.run(notes_while(ws_url, ask, sid))
    assert [n["data"]["user_id"] for n in notes if n["data"]["session_id"] == sid] == ["kiosk-1"]


def test_a_forged_token_closes_the_notification_socket(client: httpx.Client) -> None:
    ws_url = client.get("/notify").json()["full_url"]

    async def connect() -> int | None:
        async with websockets.connect(f"{ws_url}?token=forged") as ws:
            try:
                await asyncio.wait_for(ws.recv(), 5)
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None
        return None

    try:
        code = asyncio.run(connect())
    except websockets.InvalidStatus as refused:  # closed before the handshake completed: 403
        code = refused.response.status_code
    assert code in (1008, 403)


def test_anonymous_chat_with_an_account_id_does_not_reach_the_account(
    client: httpx.Client, platform: Platform
) -> None:
    user_id, bob = signup(client)
    sid = str(uuid.uuid4())
    r = client.post("/rag/chat", json={"question": "Who invented the atmospheric engine?", "user_id": user_id,
                                       "session_id": sid})  # fmt: skip
    assert r.status_code == 200
    r = client.post("/mongodb/session", json={"session_id": f"tg-{uuid.uuid4()}", "message": "Planted?",
                                              "user_id": user_id, "response": "Yes."})  # fmt: skip
    assert r.status_code == 200
    own = client.get("/sessions", params={"limit": 1000}, headers=bob).json()
    assert own["sessions"] == [] and own["total"] == 0
    history = client.get("/mongodb/history", params={"user_id": user_id, "n": 100}, headers=bob).json()
    assert history == {"history": []}
    # ... and what the anonymous client wrote stays readable to it, in its own namespace
    assert client.get(f"/mongodb/session/{sid}").json()["user_id"] == user_id


def test_anonymous_client_cannot_continue_an_accounts_session(client: httpx.Client) -> None:
    _, carol = signup(client)
    r = client.post("/rag/chat", json={"question": "Who invented the atmospheric engine?"}, headers=carol)
    sid = r.json()["session_id"]
    for attempt in (
        client.post("/rag/chat", json={"question": "And then?", "session_id": sid, "user_id": "x"}),
        client.post("/mongodb/session", json={"session_id": sid, "message": "hi", "user_id": "x"}),
        client.get(f"/mongodb/session/{sid}"),
        client.get(f"/sessions/{sid}"),
    ):
        assert attempt.status_code == 404, attempt.text
    messages = client.get(f"/sessions/{sid}", headers=carol).json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
