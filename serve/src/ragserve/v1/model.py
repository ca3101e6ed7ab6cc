"""``GET /api/v1/model`` (API 05): the models of the configured generator chain (``LLM__PROVIDERS``),
in fallback order; the first is the default a new chat uses."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query

from ragplatform.generation.catalog import ModelInfo, configured_models
from ragserve.auth import CurrentUser
from ragserve.deps import PlatformDep
from ragserve.v1.schemas import ModelPublic, ModelsPublic

router = APIRouter(prefix="/api/v1/model", tags=["v1 model"])


def model_public(m: ModelInfo) -> ModelPublic:
    return ModelPublic(
        id=m.id,
        name=m.id,
        api_source=m.api_source,
        provider=m.provider,
        default=m.default,
        fallback_order=m.fallback_order,
    )


@router.get("", response_model=ModelsPublic, summary="Models of the configured providers, default first")
def list_models(
    user: CurrentUser,
    platform: PlatformDep,
    page: Annotated[int, Query(ge=1, le=100_000, description="1-based")] = 1,
    size: Annotated[int, Query(ge=1, le=100, description="models per page, 1..100")] = 20,
) -> ModelsPublic:
    models = [model_public(m) for m in configured_models(platform.settings)]
    start = (page - 1) * size
    return ModelsPublic(
        items=models[start : start + size],
        total=len(models),
        page=page,
        size=size,
        pages=math.ceil(len(models) / size),
    )
