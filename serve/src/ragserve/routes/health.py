"""``GET /`` and ``GET /health``: one health document that is the superset of API 01's shape
(status, version, environment, databases) and API 03's (status, message, retrieval_status,
llm_status), plus every engine and the serving index version."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ragplatform import __version__
from ragplatform.factory import Platform
from ragserve.deps import PlatformDep

router = APIRouter(tags=["core"])


class Root(BaseModel):
    message: str
    documentation: str


class EngineStatus(BaseModel):
    status: Literal["healthy", "unavailable"]
    engine: str
    detail: str = Field(default="", description="version when healthy, the error when not")


class ServingIndexInfo(BaseModel):
    version: str | None = Field(description="the promoted index version answers come from; null when none")
    name: str | None = None
    collection: str | None = None
    chunks: int | None = None


class Health(BaseModel):
    status: Literal["healthy", "degraded"] = Field(
        description="healthy when every engine answers and an index version is promoted"
    )
    message: str = Field(description="a line for people (API 03)")
    version: str = Field(description="ragplatform version (API 01)")
    environment: str
    timestamp: datetime
    retrieval_status: Literal["ok", "no_index", "unavailable"] = Field(
        description="API 03: ok when the vector index answers and a version is promoted"
    )
    llm_status: Literal["available", "unavailable"] = Field(
        description="API 03: whether a generator is configured"
    )
    databases: dict[str, bool] = Field(
        description="API 01: postgresql, mongodb (the session store), vector_index"
    )
    engines: dict[str, EngineStatus]
    index: ServingIndexInfo


@router.get("/", response_model=Root, summary="Welcome message and where the documentation is")
def root() -> Root:
    return Root(message="Welcome to the ragplatform API", documentation="/docs")


def check(engine: str, probe: Callable[[], Any]) -> EngineStatus:
    """Runs a health probe; an exception or ``{"ok": False}`` means unavailable."""
    try:
        info = probe() or {}
    except Exception as exc:
        return EngineStatus(status="unavailable", engine=engine, detail=str(exc)[:200])
    if isinstance(info, dict) and info.get("ok") is False:
        return EngineStatus(status="unavailable", engine=engine, detail=str(info.get("error", ""))[:200])
    detail = str(info.get("version", "")) if isinstance(info, dict) else ""
    return EngineStatus(status="healthy", engine=engine, detail=detail)


def generator_status(platform: Platform) -> EngineStatus:
    """Whether the answer generator could be built (and, where it offers one, passes its own check)."""

    def probe() -> dict[str, Any]:
        generator = platform.answers.generator
        own = getattr(generator, "health", None)
        info = own() if callable(own) else {}
        return {"version": generator.name, **(info if isinstance(info, dict) else {})}

    return check("generator", probe)


def serving_index(platform: Platform) -> ServingIndexInfo:
    try:
        served = platform.serving.refresh()
    except Exception:
        served = None
    if served is None:
        return ServingIndexInfo(version=None)
    v = served.version
    return ServingIndexInfo(
        version=v.version, name=v.spec.name, collection=v.collection, chunks=int(v.metrics.get("chunks", 0))
    )


@router.get(
    "/health",
    response_model=Health,
    summary="Health of every engine and the serving index version",
    description=(
        "Always 200 while the process runs; read `status` (healthy | degraded), `databases` (API 01), "
        "`retrieval_status` / `llm_status` (API 03) and `engines` for the details."
    ),
)
def health(platform: PlatformDep) -> Health:
    s = platform.settings
    engines = {
        "postgresql": check(
            "postgresql" if s.database_url else "postgresql (embedded)", platform.content.health
        ),
        "sessions": check("mongodb" if s.mongodb_uri else "postgresql (embedded)", platform.sessions.health),
        "vector_index": check("weaviate" if s.weaviate_url else "lancedb", platform.index.health),
        "mlflow": check("mlflow", platform.registry.health),
        "generator": generator_status(platform),
    }
    index = serving_index(platform)
    ok = all(e.status == "healthy" for e in engines.values()) and index.version is not None
    if engines["vector_index"].status != "healthy":
        retrieval: Literal["ok", "no_index", "unavailable"] = "unavailable"
    else:
        retrieval = "ok" if index.version is not None else "no_index"
    return Health(
        status="healthy" if ok else "degraded",
        message="ragplatform API is running" if ok else "ragplatform API is running with degraded engines",
        version=__version__,
        environment=s.environment,
        timestamp=datetime.now(UTC),
        retrieval_status=retrieval,
        llm_status="available" if engines["generator"].status == "healthy" else "unavailable",
        databases={
            "postgresql": engines["postgresql"].status == "healthy",
            "mongodb": engines["sessions"].status == "healthy",
            "vector_index": engines["vector_index"].status == "healthy",
        },
        engines=engines,
        index=index,
    )
