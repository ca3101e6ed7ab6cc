"""``GET /`` and ``GET /health`` (API 01, as a superset: every engine and the serving index)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from ragplatform import __version__
from ragserve.deps import PlatformDep

router = APIRouter(tags=["core"])


class Root(BaseModel):
    message: str
    documentation: str


class EngineStatus(BaseModel):
    status: str  # "healthy" | "unavailable"
    engine: str
    detail: str = ""


class ServingIndexInfo(BaseModel):
    version: str | None
    name: str | None = None
    collection: str | None = None
    chunks: int | None = None


class Health(BaseModel):
    status: str  # "healthy" | "degraded"
    version: str
    environment: str
    timestamp: datetime
    databases: dict[str, bool]
    engines: dict[str, EngineStatus]
    index: ServingIndexInfo


@router.get("/", response_model=Root)
def root() -> Root:
    return Root(message="Welcome to the ragplatform API", documentation="/docs")


def _check(engine: str, probe: Any) -> EngineStatus:
    try:
        info = probe() or {}
        return EngineStatus(status="healthy", engine=engine, detail=str(info.get("version", "")))
    except Exception as exc:
        return EngineStatus(status="unavailable", engine=engine, detail=str(exc)[:200])


@router.get("/health", response_model=Health, summary="Health of every engine and the serving index version")
def health(platform: PlatformDep) -> Health:
    s = platform.settings
    engines = {
        "postgresql": _check(
            "postgresql" if s.database_url else "postgresql (embedded)", platform.content.health
        ),
        "sessions": _check("mongodb" if s.mongodb_uri else "postgresql (embedded)", platform.sessions.health),
        "vector_index": _check("weaviate" if s.weaviate_url else "lancedb", platform.index.health),
        "mlflow": _check(
            "mlflow",
            lambda: (
                {"version": platform.registry.tracking_uri.split(":")[0]}
                if platform.registry.list_versions() is not None
                else {}
            ),
        ),
    }
    served = platform.serving.refresh()
    index = ServingIndexInfo(version=None)
    if served is not None:
        v = served.version
        index = ServingIndexInfo(
            version=v.version,
            name=v.spec.name,
            collection=v.collection,
            chunks=int(v.metrics.get("chunks", 0)),
        )
    ok = all(e.status == "healthy" for e in engines.values()) and served is not None
    return Health(
        status="healthy" if ok else "degraded",
        version=__version__,
        environment=s.environment,
        timestamp=datetime.now(UTC),
        databases={
            "postgresql": engines["postgresql"].status == "healthy",
            "mongodb": engines["sessions"].status == "healthy",
            "vector_index": engines["vector_index"].status == "healthy",
        },
        engines=engines,
        index=index,
    )
