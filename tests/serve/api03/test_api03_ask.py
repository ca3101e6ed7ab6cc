"""API 03: /sessions/{id}/ask and /ask stream Server-Sent Events; and one core behind every dialect."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from ragplatform.generation.base import GenerationRequest, GenerationStats

if TYPE_CHECKING:
    from ragplatform.factory import Platform

Ask = Callable[[str, dict[str, Any]], tuple[httpx.Response, list[dict[str, Any]]]]
QUESTION = "Who was the inventor of the atmospheric engine?"


def new_session(client: httpx.Client) -> str:
    return str(client.post("/sessions", json={"title": "SSE"}).json()["session_id"])


def test_ask_in_session_streams_status_content_done(client: httpx.Client, ask_sse: Ask) -> None:
    sid = new_session(client)
    response, events = ask_sse(f"/sessions/{sid}/ask", {"question": QUESTION})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    kinds = [e["type"] for e in events]
    assert kinds[0] == "status" and kinds[-1] == "done"
    assert kinds.count("done") == 1 and "error" not in kinds
    assert kinds.index("content") > max(i for i, k in enumerate(kinds) if k == "status")
    assert len([k for k in kinds if k == "status"]) >= 3
    statuses = [e for e in events if e["type"] == "status"]
    assert all(set(e) == {"type", "message"} and e["message"] for e in statuses)
    pieces = [e for e in events if e["type"] == "content"]
    assert len(pieces) > 1, "the answer must stream in pieces"
    assert all(set(e) == {"type", "content"} for e in pieces)
    answer = "".join(e["content"] for e in pieces)
    assert "Newcomen" in answer
    done = events[-1]
    assert done["session_id"] == sid and done["unanswered"] is False
    assert done["citations"] and done["citations"][0]["chunk_id"]
    stored = client.get(f"/sessions/{sid}").json()
    assert [(m["role"], m["content"]) for m in stored["messages"]] == [
        ("user", QUESTION),
        ("assistant", answer.strip()),
    ]
    assert stored["message_count"] == 2
    assert all(set(m) == {"message_id", "role", "content", "timestamp"} for m in stored["messages"])
    assert stored["messages"][1]["message_id"] == done["message_id"]


def test_the_wire_format_is_data_lines_with_json(client: httpx.Client) -> None:
    sid = new_session(client)
    with client.stream("POST", f"/sessions/{sid}/ask", json={"question": "What is on the FAQ?"}) as r:
        raw = "".join(r.iter_text())
    blocks = [b for b in raw.split("\n\n") if b.strip() and not b.startswith(":")]
    assert blocks[0] == 'data: {"type": "status", "message": "Processing the question..."}'
    assert blocks[-1].startswith('data: {"type": "done"')
    assert all(b.startswith("data: {") and "\n" not in b for b in blocks)


def test_unanswerable_question_streams_idk_and_done(client: httpx.Client, ask_sse: Ask) -> None:
    sid = new_session(client)
    _, events = ask_sse(
        f"/sessions/{sid}/ask", {"question": "What is the airspeed velocity of an unladen swallow in knots?"}
    )
    text = "".join(e["content"] for e in events if e["type"] == "content")
    assert text.startswith("I don't know")
    assert events[-1]["type"] == "done" and events[-1]["unanswered"] is True


def test_legacy_ask_creates_a_session(client: httpx.Client, ask_sse: Ask) -> None:
    response, events = ask_sse("/ask", {"question": QUESTION})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert events[0]["type"] == "status"
    done = events[-1]
    assert done["type"] == "done"
    session = client.get(f"/sessions/{done['session_id']}").json()
    assert [m["role"] for m in session["messages"]] == ["user", "assistant"]
    assert session["messages"][0]["content"] == QUESTION


@pytest.mark.parametrize("path", ["/ask", "/sessions/{sid}/ask"])
@pytest.mark.parametrize(
    "body", [{}, {"question": ""}, {"question": "   "}, {"question": "x" * 4001}, {"question": "a\x00b"}]
)
def test_bad_questions_are_422_json_before_any_stream(
    client: httpx.Client, path: str, body: dict[str, Any]
) -> None:
    sid = new_session(client)
    r = client.post(path.format(sid=sid), json=body)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/json"
    detail = r.json()["detail"]
    assert detail[0]["loc"] == ["body", "question"]
    if body == {}:
        assert detail[0]["type"] == "missing" and detail[0]["msg"] == "Field required"
    assert client.get(f"/sessions/{sid}").json()["messages"] == []


class BreaksMidway:
    name = "breaks-midway"

    def stream(self, request: GenerationRequest, stats: GenerationStats | None = None) -> Iterator[str]:
        yield "Partial "
        raise RuntimeError("the model crashed")


def test_a_failure_mid_stream_is_an_error_event(
    client: httpx.Client, ask_sse: Ask, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform.answers, "generator", BreaksMidway())
    sid = new_session(client)
    response, events = ask_sse(f"/sessions/{sid}/ask", {"question": QUESTION})
    assert response.status_code == 200
    assert [e["type"] for e in events][-2:] == ["content", "error"]
    assert events[-1]["message"]
    assert "RuntimeError" not in events[-1]["message"]
    assert client.get(f"/sessions/{sid}").json()["messages"] == []


def test_one_core_behind_every_dialect(client: httpx.Client, ask_sse: Ask) -> None:
    sid = str(uuid.uuid4())
    chat = client.post(
        "/rag/chat", json={"user_id": "u-core", "question": QUESTION, "session_id": sid}
    ).json()
    session = client.get(f"/sessions/{sid}").json()
    assert [(m["role"], m["content"]) for m in session["messages"]] == [
        ("user", QUESTION),
        ("assistant", chat["answer"]),
    ]

    sid = new_session(client)
    _, events = ask_sse(f"/sessions/{sid}/ask", {"question": QUESTION})
    answer = "".join(e["content"] for e in events if e["type"] == "content").strip()
    latest = client.get(f"/mongodb/session/{sid}").json()
    assert (latest["session_id"], latest["message"], latest["response"]) == (sid, QUESTION, answer)
