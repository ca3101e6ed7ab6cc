"""Moving ``production`` while 20 clients ask continuously: no failed request, and later
answers come from the new version (ragserve follows the alias without a restart)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import httpx

from ragplatform.spec import RetrievalSpec

if TYPE_CHECKING:
    from serve_support import LiveServer

    from ragplatform.factory import Platform

CLIENTS = 20


async def _ask_until(url: str, stop: asyncio.Event, log: list[tuple[float, int, str | None]]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        while not stop.is_set():
            r = await client.post(
                "/rag/chat",
                json={
                    "question": "Who was the inventor of the atmospheric engine?",
                    "include_history": False,
                },
            )
            version = r.json().get("index_version") if r.status_code == 200 else None
            log.append((time.monotonic(), r.status_code, version))


async def test_promotion_under_load_fails_no_request(platform: Platform, live_server: LiveServer) -> None:
    before = platform.indexes.production()
    assert before is not None
    candidate = platform.indexes.build(
        before.spec.model_copy(
            update={"name": "hot-swap", "retrieval": RetrievalSpec(mode="hybrid", top_k=3)}
        )
    ).version
    log: list[tuple[float, int, str | None]] = []
    stop = asyncio.Event()
    tasks = [asyncio.create_task(_ask_until(live_server.url, stop, log)) for _ in range(CLIENTS)]
    try:
        warm_deadline = time.monotonic() + 120
        while len(log) < CLIENTS and time.monotonic() < warm_deadline:  # every client answered once
            await asyncio.sleep(0.2)
        await asyncio.to_thread(platform.indexes.promote, candidate.version, reason="hot swap test")
        promoted_at = time.monotonic()
        settle = platform.settings.serve.watch_interval_s + 1.0
        deadline = promoted_at + settle + 30
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            late = [v for t, _, v in log if t > promoted_at + settle]
            if len(late) >= CLIENTS:
                break
        stop.set()
        await asyncio.gather(*tasks)
    finally:
        stop.set()
        await asyncio.to_thread(
            platform.indexes.promote, before.version, reason="restore after hot swap test"
        )
        await asyncio.to_thread(platform.serving.refresh)

    statuses = [s for _, s, _ in log]
    assert len(statuses) > CLIENTS, "the clients kept asking"
    assert all(s == 200 for s in statuses), f"failed requests: {[s for s in statuses if s != 200]}"
    early = {v for t, _, v in log if t < promoted_at}
    late = [v for t, _, v in log if t > promoted_at + settle]
    assert early == {before.version}
    assert late and set(late) == {candidate.version}
