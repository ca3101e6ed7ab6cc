"""``GET /api/v1/model`` (API 05): every model a chat (or AI Suite) may name, and whether its provider
is configured now: the generator chain (``LLM__PROVIDERS``) first, in fallback order, its first the
default a new chat uses; then each other provider's model (``generation/providers.py``)."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query

from ragplatform.generation.providers import ModelChoice, choosable_models
from ragserve.auth import CurrentUser
from ragserve.deps import PlatformDep
from ragserve.v1.schemas import ModelPublic, ModelsPublic

router = APIRouter(prefix="/api/v1/model", tags=["v1 model"])


def model_public(m: ModelChoice) -> ModelPublic:
    return ModelPublic(
        id=m.model,
        name=m.model,
        api_source=m.api_source,
        provider=m.display_name,
        default=m.default,
        fallback_order=m.fallback_order,
        available=m.available,
        missing_setting=m.missing,
    )


@router.get(
    "",
    response_model=ModelsPublic,
    summary="Models a chat may choose, the default first, each with availability",
)
def list_models(
    user: CurrentUser,
    platform: PlatformDep,
    page: Annotated[int, Query(ge=1, le=100_000, description="1-based")] = 1,
    size: Annotated[int, Query(ge=1, le=100, description="models per page, 1..100")] = 20,
) -> ModelsPublic:
    models = [model_public(m) for m in choosable_models(platform.settings)]
    start = (page - 1) * size
    return ModelsPublic(
        items=models[start : start + size],
        total=len(models),
        page=page,
        size=size,
        pages=math.ceil(len(models) / size),
    )
