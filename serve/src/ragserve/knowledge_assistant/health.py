"""``GET /`` and ``GET /health`` (API 01; ``/health`` is also API 03's): the shape is shared,
see ``ragserve.health``."""

from __future__ import annotations

from fastapi import APIRouter

from ragplatform import health as engine_health
from ragserve.deps import PlatformDep
from ragserve.health import HealthPublic, shape_health
from ragserve.knowledge_assistant.schemas import RootPublic

router = APIRouter(tags=["core"])


@router.get(
    "/",
    response_model=RootPublic,
    summary="Welcome message and where the documentation is",
    description=(
        "The shape API 01 documents (`message`, `documentation`). The message names this product, not "
        'the document\'s original backend ("PIX Project"): clients read `documentation`, not the greeting.'
    ),
)
def root() -> RootPublic:
    return RootPublic(message="Welcome to the ragplatform API", documentation="/docs")


@router.get(
    "/health",
    response_model=HealthPublic,
    summary="Health of every engine and the serving index version",
    description=(
        "Always 200 while the process runs; read `status` (healthy | degraded), `databases` (API 01), "
        "`retrieval_status` / `llm_status` (API 03) and `engines` for the details."
    ),
)
def health(platform: PlatformDep) -> HealthPublic:
    return shape_health(engine_health.report(platform))
