"""The provider mapping behind API 05's AI Suite and chats (``generation/providers.py``) and the chat
completions over it (``generation/completion.py``): every provider prefix against a real HTTP server
on 127.0.0.1 speaking that provider's wire format, and ``local:extractive`` offline."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from gen_fakes import FakeProvider, Reply, ndjson, sse, start_fake_provider
from pydantic import SecretStr

from ragplatform.errors import BackendUnavailable, BadRequest
from ragplatform.generation.completion import start_completion
from ragplatform.generation.providers import (
    ModelGenerators,
    choosable_models,
    choose_chat_model,
    parse_model_ref,
)
from ragplatform.settings import LLMSettings, Settings, plain_env_names

MESSAGES = [
    ("system", "You are terse."),
    ("user", "Say hello."),
    ("assistant", "Hello."),
    ("user", "Now in French."),
]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own keys (OPENAI_API_KEY, AWS_REGION, LLM__*) must not leak into these tests."""
    for name in [*plain_env_names(), *(f"LLM__{field.upper()}" for field in LLMSettings.model_fields)]:
        monkeypatch.delenv(name, raising=False)


def settings_with(**llm: Any) -> Settings:
    return Settings(_env_file=None, llm=LLMSettings(**llm))  # type: ignore[call-arg]


@pytest.fixture
def server() -> Iterator[FakeProvider]:
    provider, http = start_fake_provider()
    yield provider
    http.shutdown()
    http.server_close()


def openai_reply() -> Reply:
    chunks = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Bon"}, "finish_reason": None}]},
        {"choices": [{"index": 0, "delta": {"content": "jour."}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"prompt_tokens": 21, "completion_tokens": 3}},
    ]
    return Reply(parts=[*(sse(c) for c in chunks), sse("[DONE]")])


def anthropic_reply() -> Reply:
    return Reply(
        parts=[
            sse({"type": "message_start", "message": {"usage": {"input_tokens": 21, "output_tokens": 1}}}),
            sse({"type": "content_block_delta", "delta": {"type": "text_delta", "text": "Bon"}}),
            sse({"type": "content_block_delta", "delta": {"type": "text_delta", "text": "jour."}}),
            sse({"type": "message_delta", "usage": {"output_tokens": 3}}),
            sse({"type": "message_stop"}),
        ]
    )


def ollama_reply() -> Reply:
    return Reply(
        content_type="application/x-ndjson",
        parts=[
            ndjson({"message": {"role": "assistant", "content": "Bon"}, "done": False}),
            ndjson({"message": {"role": "assistant", "content": "jour."}, "done": False}),
            ndjson({"message": {"content": ""}, "done": True, "prompt_eval_count": 21, "eval_count": 3}),
        ],
    )


def gemini_reply() -> Reply:
    def chunk(text: str) -> str:
        return sse({"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}}]})

    done = {
        "candidates": [{"content": {"parts": [{"text": ""}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 21, "candidatesTokenCount": 3},
    }
    return Reply(parts=[chunk("Bon"), chunk("jour."), sse(done)])


@dataclass
class Case:
    settings: Callable[[str], dict[str, Any]]  # the server's URL → LLMSettings fields
    reply: Callable[[], Reply]
    path: str
    auth: tuple[str, str] | None
    missing: str  # what the detail names when the provider is not configured


OPENAI_BODY = "/v1/chat/completions"
CASES: dict[str, Case] = {
    "openai": Case(
        lambda url: {"openai_base_url": url + "/v1", "openai_api_key": "sk-openai"},
        openai_reply,
        OPENAI_BODY,
        ("authorization", "Bearer sk-openai"),
        "OPENAI_API_KEY",
    ),
    "groq": Case(
        lambda url: {"groq_base_url": url + "/v1", "groq_api_key": "gsk-groq"},
        openai_reply,
        OPENAI_BODY,
        ("authorization", "Bearer gsk-groq"),
        "GROQ_API_KEY",
    ),
    "aws": Case(
        lambda url: {"aws_base_url": url + "/v1", "aws_api_key": "bedrock-key"},
        openai_reply,
        OPENAI_BODY,
        ("authorization", "Bearer bedrock-key"),
        "AWS_BEARER_TOKEN_BEDROCK",
    ),
    "huggingface": Case(
        lambda url: {"huggingface_base_url": url + "/v1", "huggingface_api_key": "hf_token"},
        openai_reply,
        OPENAI_BODY,
        ("authorization", "Bearer hf_token"),
        "HUGGINGFACE_API_KEY",
    ),
    "anthropic": Case(
        lambda url: {"anthropic_base_url": url, "anthropic_api_key": "sk-ant"},
        anthropic_reply,
        "/v1/messages",
        ("x-api-key", "sk-ant"),
        "ANTHROPIC_API_KEY",
    ),
    "ollama": Case(
        lambda url: {"ollama_base_url": url, "providers": ["extractive"]},
        ollama_reply,
        "/api/chat",
        None,
        "OLLAMA_HOST",
    ),
    "gemini": Case(
        lambda url: {"gemini_base_url": url, "gemini_api_key": "g-key"},
        gemini_reply,
        "/v1beta/models/test-model:streamGenerateContent?alt=sse",
        ("x-goog-api-key", "g-key"),
        "GEMINI_API_KEY",
    ),
}


def sent_messages(provider: str, body: dict[str, Any]) -> list[tuple[str, str]]:
    """The conversation as the provider received it, whatever its wire format."""
    if provider == "anthropic":
        return [("system", body["system"])] + [(m["role"], m["content"]) for m in body["messages"]]
    if provider == "gemini":
        system = body["systemInstruction"]["parts"][0]["text"]
        turns = [
            ("assistant" if c["role"] == "model" else c["role"], c["parts"][0]["text"])
            for c in body["contents"]
        ]
        return [("system", system), *turns]
    return [(m["role"], m["content"]) for m in body["messages"]]


@pytest.mark.parametrize("provider", sorted(CASES))
def test_every_provider_prefix_answers_from_its_server(provider: str, server: FakeProvider) -> None:
    case = CASES[provider]
    server.reply = case.reply()
    models = ModelGenerators(settings_with(**case.settings(server.base_url)))
    try:
        completion = start_completion(
            models, f"{provider}:test-model", MESSAGES, temperature=0.4, max_tokens=50
        )
        assert "".join(completion.pieces) == "Bonjour."
    finally:
        models.close()
    assert completion.model == f"{provider}:test-model"
    assert (
        completion.stats.provider,
        completion.stats.prompt_tokens,
        completion.stats.completion_tokens,
    ) == (
        provider,
        21,
        3,
    )
    (request,) = server.requests
    assert request.path == case.path
    if case.auth is not None:
        assert request.headers[case.auth[0]] == case.auth[1]
    assert sent_messages(provider, request.body) == MESSAGES  # as sent, no passages prompt
    if provider not in ("gemini", "ollama"):
        assert (request.body["model"], request.body["temperature"]) == ("test-model", 0.4)


@pytest.mark.parametrize("provider", sorted(CASES))
def test_an_unconfigured_provider_is_refused_naming_its_setting(provider: str, server: FakeProvider) -> None:
    models = ModelGenerators(settings_with())
    with pytest.raises(BadRequest, match=CASES[provider].missing) as refused:
        start_completion(models, f"{provider}:test-model", MESSAGES, temperature=0.4, max_tokens=50)
    assert refused.value.field == "model"
    assert server.requests == []


@pytest.mark.parametrize("provider", ["openai", "anthropic", "ollama"])
def test_an_unreachable_provider_is_backend_unavailable(provider: str, closed_port_url: str) -> None:
    models = ModelGenerators(settings_with(**CASES[provider].settings(closed_port_url)))
    try:
        with pytest.raises(BackendUnavailable, match="cannot be reached"):
            start_completion(models, f"{provider}:m", MESSAGES, temperature=0.1, max_tokens=20)
    finally:
        models.close()


def test_local_extractive_answers_offline_from_the_conversation() -> None:
    models = ModelGenerators(settings_with())
    document = "The museum opens at 10 am. Tickets cost 12 euros for adults."
    completion = start_completion(
        models,
        "local:extractive",
        [("system", document), ("user", "How much do tickets cost?")],
        temperature=0.0,
        max_tokens=50,
    )
    assert "".join(completion.pieces) == "Tickets cost 12 euros for adults [1]."
    assert completion.model == "local:extractive"


@pytest.mark.parametrize(
    ("model", "messages", "field"),
    [
        ("openai", MESSAGES, "model"),
        (":gpt-4", MESSAGES, "model"),
        ("mistral:large", MESSAGES, "model"),
        ("local:llama-70b", MESSAGES, "model"),
        ("local:extractive", [], "messages"),
        ("local:extractive", [("user", "hi"), ("assistant", "hello")], "messages.1"),
        ("local:extractive", [("tool", "x"), ("user", "hi")], "messages.0.role"),
        ("local:extractive", [("user", "x" * 40_000)], "messages.0.content"),
    ],
)
def test_malformed_requests_are_refused_with_the_field(
    model: str, messages: list[tuple[str, str]], field: str
) -> None:
    with pytest.raises(BadRequest) as refused:
        start_completion(ModelGenerators(settings_with()), model, messages, temperature=0.1, max_tokens=20)
    assert refused.value.field == field


def test_temperature_and_max_tokens_are_bounded() -> None:
    models = ModelGenerators(settings_with())
    for kwargs, field in (
        ({"temperature": 2.5, "max_tokens": 10}, "temperature"),
        ({"temperature": 0.0, "max_tokens": 0}, "max_tokens"),
    ):
        with pytest.raises(BadRequest) as refused:
            start_completion(models, "local:extractive", [("user", "hi")], **kwargs)  # type: ignore[arg-type]
        assert refused.value.field == field


def test_parse_model_ref() -> None:
    assert parse_model_ref("Anthropic:claude-3-sonnet") == ("anthropic", "claude-3-sonnet")
    assert parse_model_ref("openai:ft:gpt-4o:org") == ("openai", "ft:gpt-4o:org")


def test_the_catalog_lists_every_choosable_model_with_its_availability() -> None:
    listed = {(m.api_source, m.model): m for m in choosable_models(settings_with(groq_api_key="gsk"))}
    assert next(iter(listed)) == ("extractive", "extractive")  # the chain's default first
    assert listed[("extractive", "extractive")].default and listed[("extractive", "extractive")].available
    assert listed[("groq", "llama-3.1-8b-instant")].available
    assert listed[("openai", "gpt-4o-mini")].missing is not None
    assert "OPENAI_API_KEY" in (listed[("openai", "gpt-4o-mini")].missing or "")
    assert {source for source, _ in listed} == {
        "extractive",
        "openai",
        "anthropic",
        "groq",
        "aws",
        "ollama",
        "huggingface",
        "gemini",
        "local",
    }
    # the offline answerer is listed once, under the chain's spelling
    assert ("local", "extractive") not in listed


def test_an_openai_compatible_server_without_a_key_is_configured() -> None:
    settings = settings_with(openai_base_url="http://127.0.0.1:8000/v1")
    assert choose_chat_model(settings, "qwen2.5", "openai") == ("qwen2.5", "openai")


def test_a_chat_uses_its_model_unless_it_is_the_default(server: FakeProvider) -> None:
    settings = settings_with(openai_api_key="sk", openai_base_url=server.base_url + "/v1")
    models = ModelGenerators(settings)
    try:
        assert models.for_chat({}) is None
        assert models.for_chat({"model_id": "extractive", "model_api_source": "extractive"}) is None
        chosen = models.for_chat({"model_id": "gpt-4", "model_api_source": "openai"})
        assert chosen is not None and chosen.name == "openai"
        local = models.for_chat({"model_id": "extractive", "model_api_source": "local"})
        assert local is None  # local:extractive is the chain's extractive default
        with pytest.raises(BadRequest, match="ANTHROPIC_API_KEY"):
            models.for_chat({"model_id": "claude", "model_api_source": "anthropic"})
    finally:
        models.close()


def test_choose_chat_model_fills_in_what_is_missing() -> None:
    settings = settings_with(anthropic_api_key=SecretStr("k"))
    assert choose_chat_model(settings, None, None) == ("extractive", "extractive")
    assert choose_chat_model(settings, None, "anthropic") == ("claude-3-5-haiku-latest", "anthropic")
    assert choose_chat_model(settings, "claude-3-5-haiku-latest", None) == (
        "claude-3-5-haiku-latest",
        "anthropic",
    )
    with pytest.raises(BadRequest, match="model_api_source"):
        choose_chat_model(settings, "no-such-model", None)
    with pytest.raises(BadRequest, match="GROQ_API_KEY"):
        choose_chat_model(settings, "llama", "groq")
    with pytest.raises(BadRequest, match="unknown provider"):
        choose_chat_model(settings, "x", "bedrock")
