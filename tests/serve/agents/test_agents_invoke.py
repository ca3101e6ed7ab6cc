"""POST /api/agents/invoke and GET /api/agents (API 02, "Agents") against the live server."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api04"))
from api04_support import Account, sign_up

QUESTION = "Who was the inventor of the atmospheric engine?"


@pytest.fixture(scope="module")
def ada(live_server: object) -> Account:
    return sign_up(live_server.url, "Ada")  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def bob(live_server: object) -> Account:
    return sign_up(live_server.url, "Bob")  # type: ignore[attr-defined]


def invoke(
    client: httpx.Client, who: Account | None, agent_type: str, payload: dict[str, object]
) -> httpx.Response:
    headers = who.headers if who else {}
    return client.post(
        "/api/agents/invoke", json={"agent_type": agent_type, "input": payload}, headers=headers
    )


def test_the_documents_curl_example(client: httpx.Client, ada: Account) -> None:
    body = {
        "agent_type": "lead_agent",
        "input": {"query": "Find top prospects in SaaS"},
        "metadata": {"source": "dashboard"},
    }
    r = client.post("/api/agents/invoke", json=body, headers=ada.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed" and r.json()["result"]["prospects"] == []  # Ada has no leads
    body["agent_type"] = "weather_agent"
    r = client.post("/api/agents/invoke", json=body, headers=ada.headers)
    assert r.status_code == 400
    error = r.json()
    assert error["code"] == "BAD_REQUEST"
    assert "weather_agent" in error["error"] and "lead_agent" in error["error"]
    assert error["detail"] == error["error"]
    body["agent_type"] = "chat_agent"
    body["input"] = {"question": QUESTION}
    r = client.post("/api/agents/invoke", json=body, headers=ada.headers)
    assert r.status_code == 200, r.text
    run = r.json()
    assert set(run) == {"request_id", "status", "result", "error"}
    assert run["status"] == "completed" and run["error"] is None
    uuid.UUID(run["request_id"])


def test_chat_agent_answers_with_citations_in_a_private_session(
    client: httpx.Client, ada: Account, bob: Account
) -> None:
    r = invoke(client, ada, "chat_agent", {"question": QUESTION})
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert "Newcomen" in result["answer"]
    assert result["citations"] and {"chunk_id", "source", "title", "score", "text"} <= set(
        result["citations"][0]
    )
    assert result["unanswered"] is False and result["source"] == "rag"
    assert result["index_version"]
    sid = result["session_id"]
    session = client.get(f"/sessions/{sid}", headers=ada.headers)
    assert session.status_code == 200
    assert [m["content"] for m in session.json()["messages"]][:1] == [QUESTION]
    # the conversation continues for its owner, and is nobody else's
    again = invoke(client, ada, "chat_agent", {"question": "When was it built?", "session_id": sid})
    assert again.status_code == 200 and again.json()["result"]["session_id"] == sid
    assert client.get(f"/sessions/{sid}", headers=bob.headers).status_code == 404
    assert client.get(f"/sessions/{sid}").status_code == 404
    stolen = invoke(client, bob, "chat_agent", {"question": QUESTION, "session_id": sid})
    assert stolen.status_code == 404
    assert stolen.json()["code"] == "NOT_FOUND"


def test_search_agent_returns_scored_chunks(client: httpx.Client, ada: Account) -> None:
    r = invoke(client, ada, "search_agent", {"query": "atmospheric engine", "top_k": 3})
    assert r.status_code == 200, r.text
    hits = r.json()["result"]["hits"]
    assert 1 <= len(hits) <= 3
    assert {"chunk_id", "source", "title", "score", "distance", "text"} <= set(hits[0])
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert any("Newcomen" in h["text"] for h in hits)


@pytest.mark.parametrize("top_k", [0, 101])
def test_search_agent_top_k_bounds(client: httpx.Client, ada: Account, top_k: int) -> None:
    r = invoke(client, ada, "search_agent", {"query": "engine", "top_k": top_k})
    assert r.status_code == 400
    assert r.json()["code"] == "BAD_REQUEST" and r.json()["field"] == "input.top_k"


def test_summary_agent_on_a_text(client: httpx.Client, ada: Account) -> None:
    text = (
        "The library opens at nine every weekday.\n\n"
        "Members of the library may borrow ten books at a time, and books are due after three weeks.\n\n"
        "The cafe sells coffee."
    )
    r = invoke(client, ada, "summary_agent", {"text": text})
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert result["kind"] == "text" and result["passages"] == 3
    assert "librar" in result["summary"].lower()
    assert "library" in result["key_terms"]


def test_summary_agent_on_the_callers_session_only(client: httpx.Client, ada: Account, bob: Account) -> None:
    sid = invoke(client, ada, "chat_agent", {"question": QUESTION}).json()["result"]["session_id"]
    r = invoke(client, ada, "summary_agent", {"session_id": sid})
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert result["kind"] == "session" and result["id"] == sid and result["summary"]
    for other in (bob, ada):
        missing = sid if other is bob else str(uuid.uuid4())
        r = invoke(client, other, "summary_agent", {"session_id": missing})
        assert r.status_code == 404
        assert r.json() == {"error": "Session not found", "code": "NOT_FOUND", "detail": "Session not found",
                            "field": None}  # fmt: skip


def test_summary_agent_needs_exactly_one_source(client: httpx.Client, ada: Account) -> None:
    r = invoke(client, ada, "summary_agent", {"text": "a b c", "session_id": "x"})
    assert r.status_code == 400 and r.json()["code"] == "BAD_REQUEST"


def test_unknown_agent_and_bad_input_are_bad_requests(client: httpx.Client, ada: Account) -> None:
    r = invoke(client, ada, "no_such_agent", {})
    assert r.status_code == 400 and r.json()["code"] == "BAD_REQUEST"
    r = invoke(client, ada, "chat_agent", {"question": ""})
    assert r.status_code == 400 and r.json()["field"] == "input.question"
    r = client.post("/api/agents/invoke", json={"input": {}}, headers=ada.headers)
    assert r.status_code == 400 and "agent_type is required" in r.json()["error"]


def test_a_token_is_required(client: httpx.Client) -> None:
    assert invoke(client, None, "chat_agent", {"question": QUESTION}).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    r = client.post("/api/agents/invoke", json={"agent_type": "chat_agent", "input": {}}, headers=bad)
    assert r.status_code == 401


def test_agents_are_listed_with_their_input_schema(client: httpx.Client) -> None:
    r = client.get("/api/agents")
    assert r.status_code == 200
    agents = {a["name"]: a for a in r.json()["data"]}
    assert set(agents) == {"chat_agent", "search_agent", "summary_agent", "lead_agent", "faq_agent"}
    assert {"lead_id", "query", "lead"} <= set(agents["lead_agent"]["input_schema"]["properties"])
    assert "question" in agents["chat_agent"]["input_schema"]["properties"]
    assert agents["search_agent"]["input_schema"]["properties"]["top_k"]["maximum"] == 100
