"""WS /notify: the client API 01 recommends, and the ``websockets`` library, receive the
``new_session`` notification after a question the assistant cannot answer."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from typing import Any

import httpx
import websocket
import websockets

NONSENSE = "What is the airspeed velocity of an unladen swallow in knots?"


def documented_client(
    ws_url: str, received: list[Any], opened: threading.Event, stop: threading.Event
) -> None:
    """API 01's "Recommended WebSocket Client Implementation", kept as written; the only
    changes: it records what it receives, and its reconnect loop ends when the test is done."""
    logger = logging.getLogger("WebSocketClient")

    def send_keepalive(ws: websocket.WebSocketApp) -> None:
        while True:
            try:
                if ws.sock and ws.sock.connected:
                    ws.send("keepalive")
                    logger.info("Sent keepalive message")
                time.sleep(300)  # 5 minutes
            except Exception as e:
                logger.error(f"Error sending keepalive: {e}")
                time.sleep(60)

    def on_message(ws: websocket.WebSocketApp, message: str) -> None:
        try:
            data = json.loads(message)
            logger.info(f"Received notification: {data}")
            if data.get("type") == "new_session":
                session_data = data.get("data", {})
                user_question = session_data.get("message", "")
                user_response = session_data.get("response", "")
                user_name = session_data.get("first_name", "Unknown User")
                logger.info(f"User {user_name} asked: {user_question}")
                logger.info(f"System response: {user_response}")
                received.append(data)
        except json.JSONDecodeError:
            logger.debug(f"Received non-JSON message: {message}")
            received.append(message)
        except Exception as e:
            logger.error(f"Error processing message: {e}")

    def on_error(ws: websocket.WebSocketApp, error: Exception) -> None:
        logger.error(f"WebSocket error: {error}")

    def on_close(ws: websocket.WebSocketApp, close_status_code: int, close_msg: str) -> None:
        logger.warning(f"WebSocket connection closed: code={close_status_code}, message={close_msg}")

    def on_open(ws: websocket.WebSocketApp) -> None:
        logger.info(f"WebSocket connection opened to {ws_url}")
        keepalive_thread = threading.Thread(target=send_keepalive, args=(ws,), daemon=True)
        keepalive_thread.start()
        opened.set()

    def close_on_stop(ws: websocket.WebSocketApp) -> None:
        stop.wait()
        ws.close()

    while not stop.is_set():
        try:
            ws = websocket.WebSocketApp(
                ws_url, on_open=on_open, on_message=on_message, on_error=on_error, on_close=on_close
            )
            threading.Thread(target=close_on_stop, args=(ws,), daemon=True).start()
            ws.run_forever(ping_interval=60, ping_timeout=30)
            logger.warning("WebSocket connection lost, reconnecting in 5 seconds...")
            stop.wait(5)
        except Exception as e:
            logger.error(f"WebSocket client error: {e}")
            stop.wait(5)


def wait_for(predicate: Any, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def ask_unanswerable(client: httpx.Client, tag: str) -> dict[str, Any]:
    body = {
        "user_id": f"ws-{tag}",
        "question": NONSENSE,
        "first_name": "Grace",
        "username": "grace",
    }
    r = client.post("/rag/chat", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["unanswered"] is True
    return dict(r.json())


def test_the_documented_client_receives_new_session(client: httpx.Client) -> None:
    info = client.get("/notify").json()
    received: list[Any] = []
    opened, stop = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=documented_client, args=(info["full_url"], received, opened, stop), daemon=True
    )
    thread.start()
    try:
        assert opened.wait(20), "the documented client did not connect"
        assert wait_for(lambda: "keepalive_ack" in received), "keepalive was not acknowledged"
        tag = uuid.uuid4().hex[:8]
        answer = ask_unanswerable(client, tag)

        def mine() -> list[dict[str, Any]]:
            return [
                m for m in received if isinstance(m, dict) and m["data"]["session_id"] == answer["session_id"]
            ]

        assert wait_for(lambda: bool(mine())), "no new_session notification arrived"
        note = mine()[0]
        assert note["type"] == "new_session"
        assert time.strptime(note["timestamp"], "%Y-%m-%d %H:%M:%S")
        data = note["data"]
        assert set(data) == {
            "session_id", "factor", "action", "created_at", "first_name", "last_name",
            "message", "response", "user_id", "username",
        }  # fmt: skip
        assert data["message"] == NONSENSE
        assert data["response"].startswith("I don't know")
        assert (data["user_id"], data["first_name"], data["username"]) == (f"ws-{tag}", "Grace", "grace")
    finally:
        # The client is a daemon thread; websocket-client may take up to ping_timeout to notice a
        # close() made from another thread, so do not wait for it here.
        stop.set()


def test_websockets_library_client_gets_notifications_and_keepalive_ack(client: httpx.Client) -> None:
    url = client.get("/notify").json()["full_url"]
    tag = uuid.uuid4().hex[:8]

    async def scenario() -> tuple[str, dict[str, Any]]:
        async with websockets.connect(url, ping_interval=1, ping_timeout=5) as ws:
            await ws.send("keepalive")
            ack = await asyncio.wait_for(ws.recv(), 10)
            answer = await asyncio.to_thread(ask_unanswerable, client, tag)
            await ws.send("keepalive")
            while True:
                message = await asyncio.wait_for(ws.recv(), 20)
                if message == "keepalive_ack":
                    continue
                note: dict[str, Any] = json.loads(message)
                if note["data"]["session_id"] == answer["session_id"]:
                    await ws.ping()
                    return str(ack), note

    ack, note = asyncio.run(scenario())
    assert ack == "keepalive_ack"
    assert note["type"] == "new_session"
    assert note["data"]["message"] == NONSENSE


def test_mongodb_idk_exchange_is_notified_and_subscribers_are_released(
    client: httpx.Client, live_server: Any
) -> None:
    hub = live_server.server.config.app.state.hub
    before = hub.connections
    url = client.get("/notify").json()["full_url"]
    sid = f"tg-{uuid.uuid4()}"

    async def scenario() -> dict[str, Any]:
        async with websockets.connect(url) as ws:
            await ws.send("keepalive")
            await asyncio.wait_for(ws.recv(), 10)
            body = {"session_id": sid, "message": "Is the moon cheese?", "user_id": "tg-7",
                    "response": "I don't know."}  # fmt: skip
            r = await asyncio.to_thread(client.post, "/mongodb/session", json=body)
            assert r.status_code == 200
            while True:
                note: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 20))
                if note["data"]["session_id"] == sid:
                    return note

    note = asyncio.run(scenario())
    assert wait_for(lambda: hub.connections <= before), "a closed socket is still subscribed"
    assert note["data"]["message"] == "Is the moon cheese?"
    assert note["data"]["response"] == "I don't know."
