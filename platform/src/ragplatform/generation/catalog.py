"""The models of the configured generator chain (``LLM__PROVIDERS``), in fallback order; the first
is the default a new chat uses. API 05's ``/api/v1/model`` lists them and ``/api/v1/chat`` checks a
chat's ``model_id`` against them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from ragplatform.settings import Settings

LOCAL_MODEL = "SmolLM2-135M-Instruct"
EXTRACTIVE_MODEL = "extractive"
PROVIDER_NAMES = {
    "local": "Local (in-process)",
    "extractive": "Extractive (quotes the retrieved passages)",
    "openai": "OpenAI-compatible",
    "ollama": "Ollama",
    "anthropic": "Anthropic",
    "gemini": "Google Gemini",
    "huggingface": "Hugging Face Inference API",
}


@dataclass(frozen=True)
class ModelInfo:
    id: str
    api_source: str
    provider: str
    default: bool
    fallback_order: int


def model_id(settings: Settings, provider: str) -> str:
    """The model a provider of the chain uses (its ``LLM__*_MODEL``)."""
    llm = settings.llm
    if provider == "local":
        return PurePath(llm.local_model_path).stem if llm.local_model_path else LOCAL_MODEL
    return {
        "openai": llm.openai_model,
        "ollama": llm.ollama_model,
        "anthropic": llm.anthropic_model,
        "gemini": llm.gemini_model,
        "huggingface": llm.huggingface_model,
    }.get(provider, EXTRACTIVE_MODEL)


def configured_models(settings: Settings) -> list[ModelInfo]:
    return [
        ModelInfo(
            id=model_id(settings, provider),
            api_source=provider,
            provider=PROVIDER_NAMES.get(provider, provider),
            default=position == 0,
            fallback_order=position,
        )
        for position, provider in enumerate(settings.llm.providers)
    ]


def default_model(settings: Settings) -> tuple[str, str]:
    """(model_id, api_source) of the chain's first model."""
    models = configured_models(settings)
    return (models[0].id, models[0].api_source) if models else (EXTRACTIVE_MODEL, "extractive")


def find_model(settings: Settings, model_id: str) -> ModelInfo | None:
    return next((m for m in configured_models(settings) if m.id == model_id), None)
