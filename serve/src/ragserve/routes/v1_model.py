"""``GET /api/v1/model`` (API 05): the models of the configured generator chain (``LLM__PROVIDERS``),
in fallback order; the first is the default a new chat uses."""

from __future__ import annotations

import math
from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ragplatform.settings import Settings
from ragserve.auth import CurrentUser
from ragserve.deps import PlatformDep

router = APIRouter(prefix="/api/v1/model", tags=["v1 model"])

LOCAL_MODEL = "SmolLM2-135M-Instruct"
EXTRACTIVE_MODEL = "extractive"
PROVIDER_NAMES = {
    "local": "Local (in-process)",
    "extractive": "Extractive (quotes the retrieved passages)",
    "openai": "OpenAI-compatible",
    "ollama": "Ollama",
    "anthropic": "Anthropic",
    "gemini": "Google Gemini",
}


class ModelPublic(BaseModel):
    id: str = Field(description="what POST /api/v1/chat takes as model_id")
    name: str
    api_source: str = Field(
        description="the provider: local, extractive, openai, ollama, anthropic or gemini"
    )
    provider: str = Field(description="the provider's display name")
    default: bool = Field(description="the first of the chain: what a new chat uses")
    fallback_order: int = Field(description="0-based position in the fallback chain")


class ModelsPublic(BaseModel):
    items: list[ModelPublic]
    total: int
    page: int
    size: int
    pages: int


def _model_id(settings: Settings, provider: str) -> str:
    llm = settings.llm
    if provider == "local":
        return PurePath(llm.local_model_path).stem if llm.local_model_path else LOCAL_MODEL
    return {
        "openai": llm.openai_model,
        "ollama": llm.ollama_model,
        "anthropic": llm.anthropic_model,
        "gemini": llm.gemini_model,
    }.get(provider, EXTRACTIVE_MODEL)


def configured_models(settings: Settings) -> list[ModelPublic]:
    models: list[ModelPublic] = []
    for position, provider in enumerate(settings.llm.providers):
        model_id = _model_id(settings, provider)
        models.append(
            ModelPublic(
                id=model_id,
                name=model_id,
                api_source=provider,
                provider=PROVIDER_NAMES.get(provider, provider),
                default=position == 0,
                fallback_order=position,
            )
        )
    return models


def default_model(settings: Settings) -> tuple[str, str]:
    """(model_id, api_source) of the chain's first model."""
    models = configured_models(settings)
    return (models[0].id, models[0].api_source) if models else (EXTRACTIVE_MODEL, "extractive")


def find_model(settings: Settings, model_id: str) -> ModelPublic | None:
    return next((m for m in configured_models(settings) if m.id == model_id), None)


@router.get("", response_model=ModelsPublic, summary="Models of the configured providers, default first")
def list_models(
    user: CurrentUser,
    platform: PlatformDep,
    page: Annotated[int, Query(ge=1, le=100_000, description="1-based")] = 1,
    size: Annotated[int, Query(ge=1, le=100, description="models per page, 1..100")] = 20,
) -> ModelsPublic:
    models = configured_models(platform.settings)
    start = (page - 1) * size
    return ModelsPublic(
        items=models[start : start + size],
        total=len(models),
        page=page,
        size=size,
        pages=math.ceil(len(models) / size),
    )
