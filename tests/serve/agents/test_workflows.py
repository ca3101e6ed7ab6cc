"""API 02's workflows against the live server with real clients: execute (sync and async),
polling, listing, the errors, ``/api/ws/workflows`` in both event formats, and isolation."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from agents_support import Account, admin_account, exchange, next_of, sign_up, ws_url
from websockets.sync.client import connect

if TYPE_CHECKING:
    from serve_support import LiveServer

    from ragplatform.factory import Platform

WS_PATH = "/api/ws/workflows"
DOC = "The Zephyr valve was patented in 1911 by Ottilie Brandt, who built it for steam organs."


@pytest.fixture(scope="module")
def ada(live_server: LiveServer) -> Account:
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        return sign_up(client, "Ada")


@pytest.fixture(scope="module")
def bob(live_server: LiveServer) -> Account:
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        return sign_up(client, "Bob")


@pytest.fixture(scope="module")
def admin(platform: Platform, live_server: LiveServer) -> Account:
    return admin_account(platform)


def execute(client: httpx.Client, who: Account, body: dict[str, Any]) -> httpx.Response:
    return client.post("/api/agents/workflows/execute", json=body, headers=who.headers)


def poll(client: httpx.Client, who: Account, run_id: str, timeout: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/api/agents/workflows/runs/{run_id}", headers=who.headers)
        assert r.status_code == 200, r.text
        if r.json()["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return dict(r.json())
        time.sleep(0.2)


def test_the_workflows_are_listed_with_their_input_schemas(client: httpx.Client) -> None:
    r = client.get("/api/agents/workflows")
    assert r.status_code == 200
    names = {w["workflow_id"]: w for w in r.json()["data"]}
    assert {"rebuild_index", "ingest_documents", "evaluate_index", "qualify_leads"} <= set(names)
    assert names["rebuild_index"]["steps"] == ["build", "evaluate", "promote"]
    assert names["rebuild_index"]["admin_only"] is True
    assert "documents" in names["ingest_documents"]["input_schema"]["properties"]


def test_errors_unknown_workflow_bad_inputs_no_token_and_admin_only(
    client: httpx.Client, ada: Account
) -> None:
    r = execute(client, ada, {"workflow_id": "make_coffee", "inputs": {}})
    assert r.status_code == 400
    body = r.json()
    assert (
        body["code"] == "BAD_REQUEST" and "rebuild_index" in body["error"] and body["field"] == "workflow_id"
    )
    r = execute(client, ada, {"workflow_id": "ingest_documents", "inputs": {"documents": []}})
    assert r.status_code == 400 and r.json()["field"].startswith("inputs.documents")
    r = execute(
        client, ada, {"workflow_id": "ingest_documents", "inputs": {"documents": [{"filename": "a.txt"}]}}
    )
    assert r.status_code == 400 and "exactly one of text or content_base64" in r.json()["detail"]
    r = client.post("/api/agents/workflows/execute", json={"workflow_id": "ingest_documents", "inputs": {}})
    assert r.status_code == 401
    r = execute(client, ada, {"workflow_id": "rebuild_index", "inputs": {}})
    assert r.status_code == 403 and "admins" in r.json()["detail"]
    r = execute(client, ada, {"workflow_id": "ingest_documents", "inputs": {}, "user_id": "someone-else"})
    assert r.status_code in (400, 403)


def test_a_synchronous_ingest_completes_and_only_its_user_sees_it(
    client: httpx.Client, platform: Platform, ada: Account, bob: Account
) -> None:
    body = {
        "workflow_id": "ingest_documents",
        "inputs": {"documents": [{"filename": "zephyr.txt", "text": DOC}]},
    }
    r = execute(client, ada, body)
    assert r.status_code == 200, r.text
    run = r.json()
    assert run["status"] == "completed" and run["error"] is None and run["progress"] == 1
    assert run["workflow_id"] == "ingest_documents" and run["user_id"] == ada.id
    (document,) = run["outputs"]["documents"]
    assert document["filename"] == "zephyr.txt" and document["chunks"] >= 1
    assert platform.content.get_document(document["id"]).owner == ada.id  # really stored, as Ada's
    polled = client.get(f"/api/agents/workflows/runs/{run['workflow_run_id']}", headers=ada.headers).json()
    assert [(s["name"], s["status"], s["progress"]) for s in polled["steps"]] == [
        ("ingest", "completed", 1.0)
    ]
    assert polled["inputs"]["documents"][0]["filename"] == "zephyr.txt"
    # Bob: 404 on Ada's run, and it is not in his list
    assert (
        client.get(f"/api/agents/workflows/runs/{run['workflow_run_id']}", headers=bob.headers).status_code
        == 404
    )
    listed = client.get("/api/agents/workflows/runs", headers=bob.headers).json()
    assert run["workflow_run_id"] not in {r["workflow_run_id"] for r in listed["data"]}
    mine = client.get("/api/agents/workflows/runs", headers=ada.headers).json()
    assert run["workflow_run_id"] in {r["workflow_run_id"] for r in mine["data"]}
    # Ada was notified
    notes = client.get("/api/notifications", headers=ada.headers).json()["data"]
    assert any(n["notification_type"] == "workflow_completed" and
               n["metadata"]["workflow_run_id"] == run["workflow_run_id"] for n in notes)  # fmt: skip


def test_a_failing_run_reports_failed_with_its_reason(client: httpx.Client, admin: Account) -> None:
    r = execute(client, admin, {"workflow_id": "evaluate_index", "inputs": {"version": "no-such-version"}})
    assert r.status_code == 200
    run = r.json()
    assert run["status"] == "failed" and run["outputs"] is None
    assert run["error"] and "no-such-version" in run["error"]


def test_an_async_rebuild_reports_queued_running_completed_and_then_serves(
    client: httpx.Client, live_server: LiveServer, platform: Platform, admin: Account
) -> None:
    before = platform.indexes.production()
    assert before is not None
    try:
        rebuild_and_follow(client, live_server, platform, admin)
    finally:  # later tests expect the session's index: put it back (rollback is what an admin would do)
        if platform.indexes.production().version != before.version:  # type: ignore[union-attr]
            platform.indexes.rollback()
        wait_until(lambda: platform.serving.version == before.version, 30)


def wait_until(check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert check()


def rebuild_and_follow(
    client: httpx.Client, live_server: LiveServer, platform: Platform, admin: Account
) -> None:
    with connect(ws_url(live_server, WS_PATH, admin.token)) as ws:
        assert exchange(ws, {"type": "ping"}) == {"type": "pong"}
        r = execute(client, admin, {"workflow_id": "rebuild_index", "inputs": {}, "async": True})
        assert r.status_code == 200, r.text
        queued = r.json()
        run_id = queued["workflow_run_id"]
        assert queued["status"] == "queued" and queued["outputs"] is None
        seen: list[dict[str, Any]] = []
        envelopes: list[dict[str, Any]] = []
        while not seen or seen[-1]["status"] not in ("completed", "failed"):
            message = next_of(ws, lambda m: m["type"] in ("workflow_status_update", "event"), timeout=240)
            if message["type"] == "event":
                assert message["channel"] == "workflows" and message["topic"] == f"workflow_run:{run_id}"
                envelopes.append(message)
                continue
            assert message["data"]["workflow_run_id"] == run_id
            seen.append(message["data"])
        envelopes.append(next_of(ws, lambda m: m["type"] == "event"))  # the envelope follows its typed event
    statuses = [s["status"] for s in seen]
    assert statuses[0] == "queued" and statuses[-1] == "completed", statuses
    running = [s for s in seen if s["status"] == "running"]
    assert {s["step"] for s in running} >= {"build", "evaluate", "promote"}
    assert any(0 < s["progress"] < 1 for s in running)
    assert [s["progress"] for s in running] == sorted(s["progress"] for s in running)
    assert set(seen[-1]) == {
        "workflow_run_id",
        "workflow_id",
        "user_id",
        "status",
        "step",
        "progress",
        "updated_at",
    }
    assert (
        envelopes
        and envelopes[-1]["data"]["status"] == "completed"
        and envelopes[-1]["data"]["progress"] == 1
    )
    final = poll(client, admin, run_id)
    assert final["status"] == "completed" and final["attempts"] == 1
    outputs = final["outputs"]
    assert outputs["promoted"] is True and outputs["metrics"]["ndcg_at_10"] > 0
    assert [s["status"] for s in final["steps"]] == ["completed"] * 3
    # the promoted version then serves
    deadline = time.monotonic() + 30
    while platform.serving.version != outputs["version"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert platform.serving.version == outputs["version"]
    answer = client.post("/rag/chat", json={"question": "Who invented the atmospheric engine?"})
    assert answer.status_code == 200


def test_topics_a_user_may_not_hear_are_invalid(
    client: httpx.Client, live_server: LiveServer, ada: Account, bob: Account
) -> None:
    body = {"workflow_id": "ingest_documents", "inputs": {"documents": [{"filename": "b.txt", "text": DOC}]}}
    run_id = execute(client, ada, body).json()["workflow_run_id"]
    with connect(ws_url(live_server, WS_PATH, bob.token)) as ws:
        for topic in (f"workflow_run:{run_id}", f"user:{ada.id}", "lead_trends", "workflow_run:not-a-uuid"):
            reply = exchange(ws, {"type": "subscribe", "topic": topic})
            assert reply["type"] == "error" and reply["code"] == "INVALID_TOPIC", (topic, reply)
    with connect(ws_url(live_server, WS_PATH, ada.token)) as ws:
        assert exchange(ws, {"type": "subscribe", "topic": f"workflow_run:{run_id}"})["type"] == "subscribed"
        current = next_of(ws, lambda m: m["type"] == "workflow_status_update")  # the run's state at once
        assert current["data"]["status"] == "completed"


def test_the_socket_closes_with_1008_without_a_valid_token(live_server: LiveServer) -> None:
    from websockets.exceptions import ConnectionClosed

    for url in (ws_url(live_server, WS_PATH), ws_url(live_server, WS_PATH, "not-a-token")):
        with connect(url) as ws:
            assert next_of(ws, lambda m: True)["code"] == "UNAUTHORIZED"
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
