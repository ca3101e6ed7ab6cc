"""The health document shared by every health route: the superset of API 01's ``GET /health``
(status, version, environment, databases) and API 03's (status, message, retrieval_status,
llm_status), plus every engine and the serving index, shaped from ``ragplatform.health``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from ragplatform import __version__
from ragplatform import health as engine_health
from ragplatform.client.models import EngineStatusPublic


class HealthIndexPublic(BaseModel):
    version: str | None = Field(description="the promoted index version answers come from; null when none")
    name: str | None = None
    collection: str | None = None
    chunks: int | None = None


class HealthPublic(BaseModel):
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
        description=(
            "API 01: postgresql, mongodb (the session store), pinecone (API 01's name for the vector "
            "index, whichever engine serves it), vector_index (the same, by its own name)"
        )
    )
    engines: dict[str, EngineStatusPublic]
    index: HealthIndexPublic


def engine_status(check: engine_health.EngineCheck) -> EngineStatusPublic:
    return EngineStatusPublic(status=check.status, engine=check.engine, detail=check.detail)


def shape_health(report: engine_health.HealthReport) -> HealthPublic:
    """API 01's shape (``databases`` with ``pinecone`` naming the vector index, as the document writes
    it) and API 03's (``retrieval_status``, ``llm_status``), plus every engine."""
    engines = {name: engine_status(c) for name, c in report.engines.items()}
    i = report.index
    vectors_ok = report.engines["vector_index"].ok
    return HealthPublic(
        status="healthy" if report.ok else "degraded",
        message="ragplatform API is running"
        if report.ok
        else "ragplatform API is running with degraded engines",
        version=__version__,
        environment=report.environment,
        timestamp=datetime.now(UTC),
        retrieval_status=report.retrieval_status,
        llm_status="available" if report.engines["generator"].ok else "unavailable",
        databases={
            "postgresql": report.engines["postgresql"].ok,
            "mongodb": report.engines["sessions"].ok,
            "pinecone": vectors_ok,
            "vector_index": vectors_ok,
        },
        engines=engines,
        index=HealthIndexPublic(version=i.version, name=i.name, collection=i.collection, chunks=i.chunks),
    )
