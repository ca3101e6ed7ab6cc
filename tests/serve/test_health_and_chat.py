"""GET /health and POST /rag/chat against a live uvicorn server with real engines."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from ragplatform.factory import Platform


def test_root_points_to_docs(client: httpx.Client) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.json()["documentation"] == "/docs"


def test_health_reports_every_engine_and_the_serving_version(
    client: httpx.Client, platform: Platform
) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "healthy"
    assert body["databases"]["postgresql"] is True
    assert set(body["engines"]) >= {"postgresql", "sessions", "vector_index", "mlflow"}
    assert all(e["status"] == "healthy" for e in body["engines"].values())
    production = platform.indexes.production()
    assert production is not None
    assert body["index"]["version"] == production.version
    assert body["index"]["chunks"] > 0


def test_rag_chat_answers_with_citations_and_saves_the_exchange(
    client: httpx.Client, platform: Platform
) -> None:
    session_id = str(uuid.uuid4())
    r = client.post(
        "/rag/chat",
        json={
            "user_id": "u-chat",
            "question": "Who was the inventor of the atmospheric engine?",
            "session_id": session_id,
            "similarity_top_k": 3,
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert "Newcomen" in body["answer"]
    assert body["processing_time"] > 0
    assert body["unanswered"] is False
    assert body["citations"], "an answer from the index must cite its sources"
    assert any("steam-engine" in c["source"] for c in body["citations"])
    assert all(c["chunk_id"] and c["score"] is not None for c in body["citations"])
    messages = platform.sessions.list_messages(session_id)
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[1].content == body["answer"]
    assert messages[1].metadata["citations"][0]["chunk_id"] == body["citations"][0]["chunk_id"]


def test_rag_chat_says_it_does_not_know_and_marks_unanswered(
    client: httpx.Client, platform: Platform
) -> None:
    r = client.post(
        "/rag/chat",
        json={
            "user_id": "u-idk",
            "question": "What is the airspeed velocity of an unladen swallow in knots?",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unanswered"] is True
    assert "don't know" in body["answer"].lower()
    assert body["citations"] == []
    stored = platform.sessions.search_messages(user_id=None, unanswered=True, text="swallow")
    assert stored and stored[0].metadata["unanswered"] is True


def test_rag_chat_answers_a_close_faq_directly(client: httpx.Client) -> None:
    r = client.post(
        "/rag/chat", json={"user_id": "u-faq", "question": "What can the assistant answer questions about?"}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["source"] == "faq"
    assert "FAQ" in body["answer"]
    assert body["citations"][0]["source"].startswith("faq/")


def test_rag_chat_rejects_bad_input_with_a_clear_detail(client: httpx.Client) -> None:
    r = client.post("/rag/chat", json={"question": "hello", "similarity_top_k": 0})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail[0]["loc"][-1] == "similarity_top_k"
    r = client.post("/rag/chat", json={"question": ""})
    assert r.status_code == 422
    r = client.post("/rag/chat", json={"question": "x" * 5000})
    assert r.status_code == 422
    assert "question" in str(r.json()["detail"])


def test_openapi_documents_the_limits(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    # RagChatCreate, not ChatRequest: schemas are named as the FastAPI template does (issue 9)
    props = schema["components"]["schemas"]["RagChatCreate"]["properties"]
    assert props["similarity_top_k"]["maximum"] == 100
    assert props["similarity_top_k"]["minimum"] == 1
    assert props["question"]["maxLength"] == 4000
