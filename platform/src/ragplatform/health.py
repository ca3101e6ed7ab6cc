"""Engine health, one module that every health route shapes (API 01 ``/health`` and ``/rag/health``,
API 04 ``/api/``, API 05 ``/internal/health``, the console's overview).

A probe's exception text comes from a driver and may carry addresses or SQL; it goes to the log,
and the report says only which engine is unavailable and what kind of failure it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ragplatform.errors import RagPlatformError

if TYPE_CHECKING:
    from ragplatform.factory import Platform

log = logging.getLogger(__name__)

EngineState = Literal["healthy", "unavailable"]


@dataclass(frozen=True)
class EngineCheck:
    """One engine's probe: ``detail`` is its version when healthy, a safe reason when not."""

    status: EngineState
    engine: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "healthy"


@dataclass(frozen=True)
class ServingIndex:
    """The promoted index version answers come from (``version`` None when none is promoted)."""

    version: str | None
    name: str | None = None
    collection: str | None = None
    chunks: int | None = None


@dataclass(frozen=True)
class RedisCheck:
    configured: bool
    status: Literal["healthy", "unavailable", "not configured"]
    detail: str = ""


@dataclass(frozen=True)
class HealthReport:
    """Every engine (postgresql, sessions, vector_index, mlflow, generator) and the serving index."""

    engines: dict[str, EngineCheck]
    index: ServingIndex
    environment: str

    @property
    def ok(self) -> bool:
        """Every engine answers and a version is promoted."""
        return all(e.ok for e in self.engines.values()) and self.index.version is not None

    @property
    def retrieval_status(self) -> Literal["ok", "no_index", "unavailable"]:
        if not self.engines["vector_index"].ok:
            return "unavailable"
        return "ok" if self.index.version is not None else "no_index"


def safe_reason(exc: BaseException) -> str:
    """What a response may say about a failed probe: our own errors' messages (written for people),
    otherwise only the kind of failure. The full text goes to the log."""
    if isinstance(exc, RagPlatformError):
        return exc.message[:200]
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionError | OSError):
        return "cannot connect"
    return "probe failed (see the server log)"


def check(engine: str, probe: Callable[[], Any]) -> EngineCheck:
    """Runs a health probe; an exception or ``{"ok": False}`` means unavailable."""
    try:
        info = probe() or {}
    except Exception as exc:
        log.warning("health probe of %s failed", engine, exc_info=True)
        return EngineCheck(status="unavailable", engine=engine, detail=safe_reason(exc))
    if isinstance(info, dict) and info.get("ok") is False:
        log.warning("health probe of %s: %s", engine, info.get("error", ""))
        return EngineCheck(status="unavailable", engine=engine, detail="reported not ok (see the server log)")
    detail = str(info.get("version", "")) if isinstance(info, dict) else ""
    return EngineCheck(status="healthy", engine=engine, detail=detail)


def generator_check(platform: Platform) -> EngineCheck:
    """Whether the answer generator could be built (and, where it offers one, passes its own check)."""

    def probe() -> dict[str, Any]:
        generator = platform.answers.generator
        own = getattr(generator, "health", None)
        info = own() if callable(own) else {}
        return {"version": generator.name, **(info if isinstance(info, dict) else {})}

    return check("generator", probe)


def embedder_check(platform: Platform) -> EngineCheck:
    """Embeds a short text with the serving embedder."""
    return check(
        "embedder",
        lambda: {
            "version": platform.embedder.model_id,
            "dim": len(platform.embedder.embed_query("health check")),
        },
    )


def serving_index(platform: Platform) -> ServingIndex:
    try:
        served = platform.serving.refresh()
    except RagPlatformError:
        log.warning("resolving the serving index failed", exc_info=True)
        served = None
    if served is None:
        return ServingIndex(version=None)
    v = served.version
    return ServingIndex(
        version=v.version, name=v.spec.name, collection=v.collection, chunks=int(v.metrics.get("chunks", 0))
    )


def engine_names(platform: Platform) -> tuple[str, str, str]:
    """(content, sessions, vector index) engine names as configured."""
    s = platform.settings
    content = "postgresql" if s.database_url else "postgresql (embedded)"
    sessions = "mongodb" if s.mongodb_uri else "postgresql (embedded)"
    vectors = "weaviate" if s.weaviate_url else "lancedb"
    return content, sessions, vectors


def report(platform: Platform, *, with_generator: bool = True, with_registry: bool = True) -> HealthReport:
    """Probes every engine the platform uses and resolves the serving index."""
    content, sessions, vectors = engine_names(platform)
    engines = {
        "postgresql": check(content, platform.content.health),
        "sessions": check(sessions, platform.sessions.health),
        "vector_index": check(vectors, platform.index.health),
    }
    if with_registry:
        engines["mlflow"] = check("mlflow", platform.registry.health)
    if with_generator:
        engines["generator"] = generator_check(platform)
    return HealthReport(
        engines=engines,
        index=serving_index(platform),
        environment=platform.settings.environment,
    )


def redis_check(redis_url: str | None) -> RedisCheck:
    """Pings Redis when ``REDIS_URL`` is set."""
    if not redis_url:
        return RedisCheck(
            configured=False, status="not configured", detail="chat history is kept in the session store"
        )
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        log.warning("redis health probe failed: %s", exc)
        return RedisCheck(configured=True, status="unavailable", detail="cannot connect")
    finally:
        client.close()
    return RedisCheck(configured=True, status="healthy")
