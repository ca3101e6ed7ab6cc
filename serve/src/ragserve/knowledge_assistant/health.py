"""``GET /`` and ``GET /health`` (API 01; ``/health`` is also API 03's): the shape is shared,
see ``ragserve.health``."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ragplatform import health as engine_health
from ragserve.deps import PlatformDep
from ragserve.health import Health, shape_health

router = APIRouter(tags=["core"])


class Root(BaseModel):
    message: str
    documentation: str


@router.get("/", response_model=Root, summary="Welcome message and where the documentation is")
def root() -> Root:
    return Root(message="Welcome to the ragplatform API", documentation="/docs")


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
    return shape_health(engine_health.report(platform))
