"""Serving figures for the API, measured from real clients against a real uvicorn server.

Starts the platform on embedded engines (PostgreSQL via pgserver, LanceDB, MLflow sqlite)
in a temporary DATA_DIR, seeds the demo content, promotes the demo index and serves
``ragserve.main.create_app`` on a free localhost port, in a child process so that the
clients' CPU time is not counted against the server's. Then prints:

- ``POST /rag/chat``: throughput and p50/p99 latency with 1, 16 and 64 concurrent clients
  (``--requests`` each, and no new request after ``--max-seconds`` per level);
- ``POST /ask`` (SSE): time to the first event and to ``done``;
- ``POST /api/agents/invoke`` with ``chat_agent`` (API 02): p50/p99 with 1 and 16 clients;
- ``WS /api/ws/notifications`` (API 02): 200 subscribers of one user, and the time from a
  notification's creation (a finished workflow run) to its arrival at each of them;
- Socket.IO ``/assistant/realtime`` with 200 connected clients (websocket transport):
  the round trip of a message to its echo and to the assistant's reply, for a sample of the
  clients, one at a time and all at once, and the fan-out of one answer to a room of all 200.

    .venv/bin/python bench/api.py                  # extractive generator (no LLM)
    .venv/bin/python bench/api.py --llm local      # SmolLM2 through xllamacpp, extractive fallback
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import socketio

for _key, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "RAGAS_DO_NOT_TRACK": "true",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_key, _value)

REPO = Path(__file__).resolve().parents[1]
ROOMS = "/assistant/realtime"
QUESTIONS = [
    "Who was the inventor of the atmospheric engine?",
    "When did the Black Death reach Europe?",
    "What did Nikola Tesla invent?",
    "Which Apollo mission first landed on the Moon?",
    "What is the capital of Poland?",
    "How much oxygen is in the atmosphere?",
    "Where is the Amazon rainforest?",
    "What improvements did James Watt make to the steam engine?",
]


# -- the server (child process) -------------------------------------------------------


def serve(data_dir: Path, port: int, llm: str) -> None:
    """Builds the platform, writes a bench user's token to ``data_dir``, serves until SIGTERM."""
    import uvicorn

    from ragplatform.db.embedded import stop_embedded_postgres
    from ragplatform.factory import build_platform
    from ragplatform.seed import seed_content
    from ragplatform.settings import LLMSettings, Settings
    from ragplatform.spec import IndexSpec
    from ragserve.auth import create_token
    from ragserve.main import create_app

    providers: list[Any] = ["local", "extractive"] if llm == "local" else ["extractive"]
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        environment="test",
        data_dir=data_dir,
        datasets_dir=REPO / "datasets",
        database_url=None,
        mongodb_uri=None,
        weaviate_url=None,
        mlflow_tracking_uri=None,
        redis_url=None,
        llm=LLMSettings(providers=providers),
    )
    platform = build_platform(settings)
    try:
        seed_content(platform.content, settings.datasets_dir / "seed")
        platform.indexes.ensure_production(IndexSpec())
        user = platform.content.create_user(
            f"bench-{uuid.uuid4().hex[:8]}@example.com", None, full_name="Bench"
        )
        token, _ = create_token(platform, user)
        (data_dir / "bench-token.txt").write_text(token)
        config = uvicorn.Config(
            create_app(settings, platform=platform),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
        uvicorn.Server(config).run()
    finally:
        platform.close()
        stop_embedded_postgres(settings.pg_dir)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The child process serving the API; stopped (SIGTERM to its process group) on exit."""

    def __init__(self, llm: str) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="ragplatform-bench-api-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.llm = llm
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        cmd = [
            sys.executable,
            __file__,
            "--serve",
            str(self.data_dir),
            "--port",
            str(self.port),
            "--llm",
            self.llm,
        ]
        self.proc = subprocess.Popen(cmd, start_new_session=True)
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}")
            try:
                if httpx.get(self.url + "/health", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise RuntimeError("the server did not start within 15 minutes")

    @property
    def token(self) -> str:
        return (self.data_dir / "bench-token.txt").read_text().strip()

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)


# -- figures ----------------------------------------------------------------------------


@dataclass
class Sample:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    wall_s: float = 0.0

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  " + "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("  " + "  ".join("-" * w for w in widths))
    for r in rows:
        print("  " + "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))


def ms(value: float) -> str:
    return "-" if value != value else f"{value:.1f}"


# -- POST /rag/chat ---------------------------------------------------------------------------


async def chat_level(url: str, clients: int, requests: int, max_seconds: float) -> Sample:
    sample = Sample()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        deadline = time.monotonic() + max_seconds

        async def worker(n: int) -> None:
            for i in range(requests):
                if time.monotonic() > deadline:
                    return
                body = {"user_id": f"bench-{n}", "question": QUESTIONS[(n + i) % len(QUESTIONS)]}
                t = time.perf_counter()
                try:
                    r = await http.post("/rag/chat", json=body)
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    sample.latencies_ms.append((time.perf_counter() - t) * 1000)
                else:
                    sample.errors += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(clients)))
        sample.wall_s = time.perf_counter() - t0
    return sample


async def bench_chat(url: str, levels: list[int], requests: int, max_seconds: float) -> None:
    await chat_level(url, 1, 3, 60)  # warm caches and the thread pool
    rows = []
    for clients in levels:
        s = await chat_level(url, clients, requests, max_seconds)
        done = len(s.latencies_ms)
        rows.append(
            [
                str(clients),
                str(done),
                str(s.errors),
                f"{done / s.wall_s:.1f}" if s.wall_s else "-",
                ms(s.p50),
                ms(s.pct(99)),
            ]
        )
    table(
        f"POST /rag/chat ({requests} requests per client, at most {max_seconds:.0f} s per level)",
        ["clients", "requests", "errors", "req/s", "p50 ms", "p99 ms"],
        rows,
    )


# -- POST /ask (SSE) ------------------------------------------------------------------------


async def bench_sse(url: str, requests: int) -> None:
    first = Sample()
    done = Sample()
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        probe = await http.get("/openapi.json")
        if "/ask" not in probe.json().get("paths", {}):
            print("\nPOST /ask (SSE): skipped, the server has no /ask route yet")
            return
        for i in range(requests):
            t = time.perf_counter()
            got_first = False
            async with http.stream("POST", "/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]}) as r:
                if r.status_code != 200:
                    first.errors += 1
                    continue
                async for line in r.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    if not got_first:
                        first.latencies_ms.append((time.perf_counter() - t) * 1000)
                        got_first = True
                    event = json.loads(line[5:])
                    if event.get("type") in ("done", "error"):
                        if event["type"] == "done":
                            done.latencies_ms.append((time.perf_counter() - t) * 1000)
                        else:
                            done.errors += 1
                        break
    table(
        f"POST /ask, Server-Sent Events ({requests} requests, one at a time)",
        ["", "n", "errors", "p50 ms", "p99 ms"],
        [
            [
                "first event",
                str(len(first.latencies_ms)),
                str(first.errors),
                ms(first.p50),
                ms(first.pct(99)),
            ],
            ["done", str(len(done.latencies_ms)), str(done.errors), ms(done.p50), ms(done.pct(99))],
        ],
    )


# -- Socket.IO ---------------------------------------------------------------------------------


class RoomClient:
    """One Socket.IO client on ``/assistant/realtime``; futures resolve on the events awaited."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.waiters: list[tuple[str, Callable[[Any], bool], asyncio.Future[Any]]] = []
        self.counts: dict[str, int] = {}
        for name in ("room_created", "room_joined", "message_received", "error", "user_joined", "user_left"):
            self.sio.on(name, handler=self._handler(name), namespace=ROOMS)

    def _handler(self, name: str) -> Callable[[Any], Awaitable[None]]:
        async def on(data: Any = None) -> None:
            self.counts[name] = self.counts.get(name, 0) + 1
            for waiter in list(self.waiters):
                event, where, future = waiter
                if event == name and where(data) and not future.done():
                    future.set_result(data)
                    self.waiters.remove(waiter)
            if name == "error":
                for _, _, future in list(self.waiters):
                    if not future.done():
                        future.set_exception(RuntimeError(str(data)))
                self.waiters.clear()

        return on

    def expect(self, event: str, where: Callable[[Any], bool] = lambda _: True) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiters.append((event, where, future))
        return future

    async def emit(self, event: str, data: Any) -> None:
        await self.sio.emit(event, data, namespace=ROOMS)


async def round_trip(client: RoomClient, room_id: str, question: str) -> tuple[float, float]:
    """(ms to the echo of the user's message, ms to the assistant's reply)."""
    echo = client.expect("message_received", lambda m: m["role"] == "user" and m["room_id"] == room_id)
    reply = client.expect("message_received", lambda m: m["role"] == "assistant" and m["room_id"] == room_id)
    t = time.perf_counter()
    await client.emit("send_message", {"room_id": room_id, "content": question})
    await asyncio.wait_for(echo, 60)
    t_echo = (time.perf_counter() - t) * 1000
    await asyncio.wait_for(reply, 120)
    return t_echo, (time.perf_counter() - t) * 1000


async def bench_socketio(url: str, token: str, clients: int, sample: int) -> None:
    people = [RoomClient() for _ in range(clients)]
    connect = Sample()
    t0 = time.perf_counter()
    for batch in range(0, clients, 50):  # the server's accept backlog and two CPUs: 50 at a time

        async def one(c: RoomClient) -> None:
            t = time.perf_counter()
            await c.sio.connect(
                url, auth={"token": token}, namespaces=[ROOMS], transports=["websocket"], wait_timeout=60
            )
            connect.latencies_ms.append((time.perf_counter() - t) * 1000)

        await asyncio.gather(*(one(c) for c in people[batch : batch + 50]))
    connect.wall_s = time.perf_counter() - t0
    try:
        create = Sample()
        rooms: list[str] = []
        for c in people:
            created = c.expect("room_created")
            t = time.perf_counter()
            await c.emit("create_room", {"name": "bench"})
            rooms.append((await asyncio.wait_for(created, 60))["room_id"])
            create.latencies_ms.append((time.perf_counter() - t) * 1000)

        step = max(1, clients // sample)
        chosen = list(range(0, clients, step))[:sample]
        one_at_a_time = Sample(), Sample()
        for n, i in enumerate(chosen):
            echo, reply = await round_trip(people[i], rooms[i], QUESTIONS[n % len(QUESTIONS)])
            one_at_a_time[0].latencies_ms.append(echo)
            one_at_a_time[1].latencies_ms.append(reply)
        together = Sample(), Sample()
        t = time.perf_counter()
        results = await asyncio.gather(
            *(round_trip(people[i], rooms[i], QUESTIONS[n % len(QUESTIONS)]) for n, i in enumerate(chosen))
        )
        together[1].wall_s = time.perf_counter() - t
        for echo, reply in results:
            together[0].latencies_ms.append(echo)
            together[1].latencies_ms.append(reply)

        fan_out = await bench_fan_out(people, rooms[0])
    finally:
        await asyncio.gather(*(c.sio.disconnect() for c in people), return_exceptions=True)

    def row(name: str, s: Sample) -> list[str]:
        return [
            name,
            str(len(s.latencies_ms)),
            ms(s.p50),
            ms(s.pct(99)),
            ms(max(s.latencies_ms, default=float("nan"))),
        ]

    table(
        f"Socket.IO {ROOMS}, {clients} clients connected (websocket), one room each",
        ["", "n", "p50 ms", "p99 ms", "max ms"],
        [
            row("connect (50 at a time)", connect),
            row("create_room -> room_created", create),
            row(f"send_message -> echo, {len(chosen)} one at a time", one_at_a_time[0]),
            row(f"send_message -> assistant reply, {len(chosen)} one at a time", one_at_a_time[1]),
            row(f"send_message -> echo, {len(chosen)} at once", together[0]),
            row(f"send_message -> assistant reply, {len(chosen)} at once", together[1]),
            row(f"one reply fanned out to a room of {clients}", fan_out),
        ],
    )


async def bench_fan_out(people: list[RoomClient], room_id: str) -> Sample:
    """Everyone joins the first client's room; one question; when does each member get the reply?"""
    joined = [c.expect("room_joined") for c in people[1:]]
    await asyncio.gather(*(c.emit("join_room", {"room_id": room_id}) for c in people[1:]))
    await asyncio.wait_for(asyncio.gather(*joined), 120)
    deadline = time.monotonic() + 60  # let the user_joined broadcasts drain
    while people[0].counts.get("user_joined", 0) < len(people) - 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    t = time.perf_counter()
    sample = Sample()

    async def arrival(c: RoomClient, future: asyncio.Future[Any]) -> None:
        await asyncio.wait_for(future, 120)
        sample.latencies_ms.append((time.perf_counter() - t) * 1000)

    replies = [c.expect("message_received", lambda m: m["role"] == "assistant") for c in people]
    waits = [arrival(c, f) for c, f in zip(people, replies, strict=True)]
    await people[0].emit("send_message", {"room_id": room_id, "content": QUESTIONS[0]})
    await asyncio.gather(*waits)
    return sample


# -- API 02: agents and notifications ----------------------------------------------------------


async def invoke_level(url: str, token: str, clients: int, requests: int) -> Sample:
    sample = Sample()
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=120, headers=headers) as http:

        async def worker(n: int) -> None:
            for i in range(requests):
                body = {
                    "agent_type": "chat_agent",
                    "input": {"question": QUESTIONS[(n + i) % len(QUESTIONS)]},
                }
                t = time.perf_counter()
                try:
                    r = await http.post("/api/agents/invoke", json=body)
                    ok = r.status_code == 200 and r.json()["status"] == "completed"
                except httpx.HTTPError:
                    ok = False
                if ok:
                    sample.latencies_ms.append((time.perf_counter() - t) * 1000)
                else:
                    sample.errors += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(clients)))
        sample.wall_s = time.perf_counter() - t0
    return sample


async def bench_agents(url: str, token: str, levels: list[int], requests: int) -> None:
    await invoke_level(url, token, 1, 3)  # warm up
    rows = []
    for clients in levels:
        s = await invoke_level(url, token, clients, requests)
        done = len(s.latencies_ms)
        rate = f"{done / s.wall_s:.1f}" if s.wall_s else "-"
        rows.append([str(clients), str(done), str(s.errors), rate, ms(s.p50), ms(s.pct(99))])
    table(
        f"POST /api/agents/invoke, chat_agent ({requests} requests per client)",
        ["clients", "requests", "errors", "req/s", "p50 ms", "p99 ms"],
        rows,
    )


async def bench_notifications(url: str, token: str, subscribers: int) -> None:
    """``subscribers`` sockets of one user; a finished workflow run notifies that user; each socket's
    arrival is timed from the notification's ``created_at`` (same machine, same clock)."""
    from datetime import datetime

    import websockets

    ws_url = url.replace("http://", "ws://") + f"/api/ws/notifications?token={token}"
    connect = Sample()
    sockets: list[Any] = []
    t0 = time.perf_counter()
    for batch in range(0, subscribers, 50):

        async def one() -> None:
            t = time.perf_counter()
            sockets.append(await websockets.connect(ws_url, open_timeout=60))
            connect.latencies_ms.append((time.perf_counter() - t) * 1000)

        await asyncio.gather(*(one() for _ in range(min(50, subscribers - batch))))
    connect.wall_s = time.perf_counter() - t0
    arrival = Sample()
    try:
        for ws in sockets:  # each socket is live before the notification is made
            await ws.send(json.dumps({"type": "ping"}))
            while json.loads(await ws.recv())["type"] != "pong":
                pass

        async def receive(ws: Any) -> None:
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if message["type"] == "notification_created":
                    created = datetime.fromisoformat(message["data"]["created_at"]).timestamp()
                    arrival.latencies_ms.append((time.time() - created) * 1000)
                    return

        waits = asyncio.gather(*(receive(ws) for ws in sockets))
        body = {"workflow_id": "ingest_documents",
                "inputs": {"documents": [{"filename": "bench.txt", "text": "A bench note about fan-out."}]}}  # fmt: skip
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            r = await http.post(
                "/api/agents/workflows/execute", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            r.raise_for_status()
        await waits
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    table(
        f"WS /api/ws/notifications, {subscribers} subscribers of one user",
        ["", "n", "p50 ms", "p99 ms", "max ms"],
        [
            ["connect (50 at a time)", str(len(connect.latencies_ms)), ms(connect.p50), ms(connect.pct(99)),
             ms(max(connect.latencies_ms, default=float("nan")))],
            ["notification created -> arrival", str(len(arrival.latencies_ms)), ms(arrival.p50),
             ms(arrival.pct(99)), ms(max(arrival.latencies_ms, default=float("nan")))],
        ],
    )  # fmt: skip


# -- main -------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, server: Server) -> None:
    await bench_chat(server.url, args.levels, args.requests, args.max_seconds)
    await bench_sse(server.url, args.sse_requests)
    await bench_agents(server.url, server.token, args.agent_levels, args.agent_requests)
    await bench_notifications(server.url, server.token, args.ws_subscribers)
    await bench_socketio(server.url, server.token, args.socketio_clients, args.socketio_sample)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--llm", choices=["extractive", "local"], default="extractive")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 16, 64], help="concurrent clients")
    parser.add_argument("--requests", type=int, default=10, help="POST /rag/chat requests per client")
    parser.add_argument(
        "--max-seconds", type=float, default=60.0, help="no new request after this, per level"
    )
    parser.add_argument("--sse-requests", type=int, default=20)
    parser.add_argument(
        "--agent-levels", type=int, nargs="+", default=[1, 16], help="concurrent chat_agent clients"
    )
    parser.add_argument("--agent-requests", type=int, default=10, help="chat_agent invocations per client")
    parser.add_argument("--ws-subscribers", type=int, default=200, help="notification subscribers")
    parser.add_argument("--socketio-clients", type=int, default=200)
    parser.add_argument("--socketio-sample", type=int, default=20, help="clients whose round trip is timed")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.port, args.llm)
        return
    started = time.perf_counter()
    with Server(args.llm) as server:
        print(f"server ready at {server.url} in {time.perf_counter() - started:.0f} s (llm: {args.llm})")
        print(f"machine: {os.cpu_count()} CPUs; server and clients share them")
        asyncio.run(run(args, server))


if __name__ == "__main__":
    main()
