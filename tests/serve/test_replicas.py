"""Two ``ragserve`` processes on two ports sharing one PostgreSQL server and one Redis, as N replicas
behind a load balancer would: a notification raised on one reaches a listener on the other, and a
build job started on one is listed (and followed) by the other.

Needs the PostgreSQL server at ``TEST_PG_URL`` (default 127.0.0.1:5432) and Redis at
``REPLICAS_REDIS_URL`` (default 127.0.0.1:6379); skips with the reason where either cannot be reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from serve_support import free_port

from pg_server_support import PG_URL, scratch_database

REDIS_URL = os.environ.get("REPLICAS_REDIS_URL", "redis://127.0.0.1:6379/0")
ADMIN_PASSWORD = "replica-admin-password-1"
DATASETS = Path(__file__).resolve().parents[2] / "datasets"


def _reachable() -> str | None:
    """Why the servers cannot be used, or None."""
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3):
            pass
    except Exception as exc:
        return f"no PostgreSQL server at {PG_URL}: {type(exc).__name__}"
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"no Redis server at {REDIS_URL}: {type(exc).__name__}"
    return None


class Replica:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "ragserve.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.log = log

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"replica exited: {self.log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=5).status_code == 200:
                    return
            time.sleep(0.5)
        raise RuntimeError(f"replica did not start: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture(scope="module")
def replicas() -> Iterator[tuple[Replica, Replica]]:
    reason = _reachable()
    if reason:
        pytest.skip(reason)
    data_dir = Path(tempfile.mkdtemp(prefix="ragplatform-replicas-"))  # enterable by pgserver's user
    with scratch_database("ragreplicas") as database_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SERVE__", "AUTH__", "LLM__"))}
        env.update(
            ENVIRONMENT="test",
            DATA_DIR=str(data_dir),
            DATASETS_DIR=str(DATASETS),
            DATABASE_URL=database_url,
            REDIS_URL=REDIS_URL,
            LLM__PROVIDERS="extractive",
            ADMIN_PASSWORD=ADMIN_PASSWORD,
        )
        for key in ("MONGODB_URI", "WEAVIATE_URL", "MLFLOW_TRACKING_URI"):
            env.pop(key, None)
        # One after the other, as a rolling start would: the first creates the MLflow store's schema
        # (its sqlite file is shared here; production replicas share an MLflow tracking server).
        started: list[Replica] = []
        try:
            for i in (1, 2):
                started.append(Replica(env, data_dir / f"replica-{i}.log"))
                started[-1].wait_ready(time.monotonic() + 180)
            yield started[0], started[1]
        finally:
            for replica in started:
                replica.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


def admin_token(replica: Replica) -> str:
    r = httpx.post(
        f"{replica.url}/api/login",
        json={"email": "admin@example.com", "password": ADMIN_PASSWORD},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def test_a_notification_raised_on_one_replica_reaches_a_listener_on_the_other(
    replicas: tuple[Replica, Replica],
) -> None:
    one, two = replicas
    token = admin_token(two)
    sid = f"tg-{uuid.uuid4()}"

    async def scenario() -> dict[str, Any]:
        url = f"ws://127.0.0.1:{two.port}/notify?token={token}"
        async with websockets.connect(url) as ws:
            await ws.send("keepalive")
            await asyncio.wait_for(ws.recv(), 10)
            body = {"session_id": sid, "message": "Is the moon cheese?", "user_id": "tg-1",
                    "response": "I don't know."}  # fmt: skip
            async with httpx.AsyncClient(base_url=one.url, timeout=30) as http:
                assert (await http.post("/mongodb/session", json=body)).status_code == 200
            while True:
                raw = await asyncio.wait_for(ws.recv(), 20)
                if raw == "keepalive_ack":
                    continue
                note: dict[str, Any] = json.loads(raw)
                if note["data"]["session_id"] == sid:
                    return note

    note = asyncio.run(scenario())
    assert note["data"]["message"] == "Is the moon cheese?"


def test_a_build_job_started_on_one_replica_is_listed_by_the_other(replicas: tuple[Replica, Replica]) -> None:
    one, two = replicas
    headers_one = {"Authorization": f"Bearer {admin_token(one)}"}
    headers_two = {"Authorization": f"Bearer {admin_token(two)}"}
    r = httpx.post(f"{one.url}/api/admin/indexes/builds", json={}, headers=headers_one, timeout=30)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    listed = httpx.get(f"{two.url}/api/admin/indexes/builds", headers=headers_two, timeout=30)
    assert listed.status_code == 200, listed.text
    assert job_id in [j["job_id"] for j in listed.json()]
    seen = httpx.get(f"{two.url}/api/admin/indexes/builds/{job_id}", headers=headers_two, timeout=30)
    assert seen.status_code == 200 and seen.json()["status"] in ("queued", "running", "succeeded")
