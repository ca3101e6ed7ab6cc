"""API 02's model fallback: Ollama, then the Hugging Face Inference API, then the offline answerer.

Settings come from the environment under the document's names (``OLLAMA_HOST``,
``HUGGINGFACE_API_KEY``, ...); the chain is the one ``make_generator`` builds, and
Ollama and Hugging Face are real HTTP servers on 127.0.0.1 speaking their wire formats.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from gen_fakes import FakeProvider, Reply, ndjson, sse, start_fake_provider
from pydantic import ValidationError

from ragplatform.factory import make_generator
from ragplatform.generation.base import GenerationRequest, GenerationStats
from ragplatform.generation.catalog import configured_models
from ragplatform.generation.extractive import ExtractiveGenerator
from ragplatform.schema import Citation
from ragplatform.settings import LLMSettings, Settings, plain_env_names

QUESTION = "How much does a parking permit cost?"
EXTRACTIVE_ANSWER = "A parking permit costs 20 euros per month [2]."
OLLAMA_PIECES = ["A permit", " costs 20 euros", " a month [2]."]
HF_PIECES = ["Parking permits", " cost 20 euros per month [2]."]
FALLBACK_LOGGER = "ragplatform.generation.fallback"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own OLLAMA_HOST or LLM__* variables must not leak into these tests."""
    for name in [*plain_env_names(), *(f"LLM__{field.upper()}" for field in LLMSettings.model_fields)]:
        monkeypatch.delenv(name, raising=False)


def _server() -> Iterator[FakeProvider]:
    provider, server = start_fake_provider()
    yield provider
    server.shutdown()
    server.server_close()


@pytest.fixture
def ollama() -> Iterator[FakeProvider]:
    """Answers like Ollama's /api/chat: newline-delimited JSON, a final ``done`` line."""
    for provider in _server():
        lines = [{"message": {"role": "assistant", "content": p}, "done": False} for p in OLLAMA_PIECES]
        lines.append({"message": {"role": "assistant", "content": ""}, "done": True, "eval_count": 7})
        provider.reply = Reply(200, "application/x-ndjson", [ndjson(line) for line in lines])
        yield provider


@pytest.fixture
def huggingface() -> Iterator[FakeProvider]:
    """Answers like the Hugging Face router's /v1/chat/completions: OpenAI's server-sent events."""
    for provider in _server():
        chunks = [{"choices": [{"index": 0, "delta": {"content": p}}]} for p in HF_PIECES]
        provider.reply = Reply(200, "text/event-stream", [*(sse(c) for c in chunks), sse("[DONE]")])
        yield provider


def _ask(settings: Settings, contexts: list[Citation]) -> tuple[str, GenerationStats]:
    generator = make_generator(settings)
    stats = GenerationStats()
    try:
        answer = "".join(generator.stream(GenerationRequest(QUESTION, contexts), stats))
    finally:
        getattr(generator, "close", lambda: None)()
    return answer, stats


def _switches(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == FALLBACK_LOGGER and r.levelno == logging.WARNING
    ]


def test_document_names_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "http://ollama.internal:11434")
    monkeypatch.setenv("OLLAMA_MODEL", "llama3.1:8b")
    monkeypatch.setenv("OLLAMA_TEMPERATURE", "0.7")
    monkeypatch.setenv("OLLAMA_KEEP_ALIVE", "1h")
    monkeypatch.setenv("HUGGINGFACE_API_KEY", "hf_test")
    monkeypatch.setenv("HUGGINGFACE_MODEL", "mistralai/Mistral-7B-Instruct-v0.3")

    llm = Settings(_env_file=None).llm  # type: ignore[call-arg]

    assert llm.ollama_base_url == "http://ollama.internal:11434"
    assert (llm.ollama_model, llm.ollama_temperature, llm.ollama_keep_alive) == ("llama3.1:8b", 0.7, "1h")
    assert llm.huggingface_api_key is not None and llm.huggingface_api_key.get_secret_value() == "hf_test"
    assert llm.huggingface_base_url == "https://router.huggingface.co/v1"
    assert llm.providers == ["ollama", "huggingface", "extractive"]
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert [(m.id, m.api_source) for m in configured_models(settings)] == [
        ("llama3.1:8b", "ollama"),
        ("mistralai/Mistral-7B-Instruct-v0.3", "huggingface"),
        ("extractive", "extractive"),
    ]


def test_nested_names_win_and_the_environment_beats_the_env_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("OLLAMA_HOST=gpu-box\nLLM__OLLAMA_MODEL=from-file\nOLLAMA_KEEP_ALIVE=5m\n")
    monkeypatch.setenv("OLLAMA_MODEL", "from-env")
    monkeypatch.setenv("LLM__OLLAMA_KEEP_ALIVE", "-1")
    monkeypatch.setenv("OLLAMA_KEEP_ALIVE", "30m")

    llm = Settings(_env_file=env_file).llm  # type: ignore[call-arg]

    assert llm.ollama_base_url == "http://gpu-box:11434"  # as Ollama reads a bare OLLAMA_HOST
    assert llm.ollama_model == "from-env"
    assert llm.ollama_keep_alive == "-1"


def test_without_any_of_these_names_the_default_stays_extractive() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert settings.llm.providers == ["extractive"]
    assert isinstance(make_generator(settings), ExtractiveGenerator)


def test_a_named_chain_is_kept_and_huggingface_in_it_needs_its_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:11434")
    monkeypatch.setenv("LLM__PROVIDERS", "extractive")
    assert Settings(_env_file=None).llm.providers == ["extractive"]  # type: ignore[call-arg]

    monkeypatch.setenv("LLM__PROVIDERS", "huggingface,extractive")
    with pytest.raises(ValidationError, match="HUGGINGFACE_API_KEY"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_temperature_and_keep_alive_reach_ollama(
    monkeypatch: pytest.MonkeyPatch, ollama: FakeProvider, contexts: list[Citation]
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama.base_url)
    monkeypatch.setenv("OLLAMA_MODEL", "llama3.1:8b")
    monkeypatch.setenv("OLLAMA_TEMPERATURE", "0.7")
    monkeypatch.setenv("OLLAMA_KEEP_ALIVE", "10m")

    answer, stats = _ask(Settings(_env_file=None), contexts)  # type: ignore[call-arg]

    assert answer == "".join(OLLAMA_PIECES)
    assert (stats.provider, stats.model, stats.fallbacks) == ("ollama", "llama3.1:8b", [])
    (sent,) = ollama.requests
    assert sent.path == "/api/chat"
    assert sent.body["model"] == "llama3.1:8b"
    assert sent.body["options"]["temperature"] == 0.7
    assert sent.body["keep_alive"] == "10m"


def test_ollama_temperature_defaults_to_the_chain_temperature(
    monkeypatch: pytest.MonkeyPatch, ollama: FakeProvider, contexts: list[Citation]
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", ollama.base_url)
    monkeypatch.setenv("LLM__TEMPERATURE", "0.3")

    _ask(Settings(_env_file=None), contexts)  # type: ignore[call-arg]

    (sent,) = ollama.requests
    assert sent.body["options"]["temperature"] == 0.3
    assert sent.body["keep_alive"] == "10m"


@pytest.mark.parametrize("failure", ["not running", "model not pulled"])
def test_when_ollama_fails_huggingface_answers_and_the_switch_is_logged(
    failure: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    ollama: FakeProvider,
    huggingface: FakeProvider,
    closed_port_url: str,
    contexts: list[Citation],
) -> None:
    if failure == "not running":
        monkeypatch.setenv("OLLAMA_HOST", closed_port_url)
        reason = "cannot be reached"
    else:
        monkeypatch.setenv("OLLAMA_HOST", ollama.base_url)
        ollama.reply = Reply(
            404, "application/json", ['{"error": "model \\"llama3\\" not found, try pulling it first"}']
        )
        reason = "not found, try pulling it first"
    monkeypatch.setenv("HUGGINGFACE_API_KEY", "hf_test")
    monkeypatch.setenv("HUGGINGFACE_BASE_URL", huggingface.base_url + "/v1")
    monkeypatch.setenv("HUGGINGFACE_MODEL", "meta-llama/Llama-3.1-8B-Instruct")

    with caplog.at_level(logging.WARNING, logger=FALLBACK_LOGGER):
        answer, stats = _ask(Settings(_env_file=None), contexts)  # type: ignore[call-arg]

    assert answer == "".join(HF_PIECES)
    assert stats.provider == "huggingface"
    (sent,) = huggingface.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer hf_test"
    assert (sent.body["model"], sent.body["stream"]) == ("meta-llama/Llama-3.1-8B-Instruct", True)
    assert sent.body["messages"][-1]["content"].endswith(QUESTION)
    (switch,) = _switches(caplog)
    assert switch.startswith("generation fell back from ollama to huggingface: ollama at ")
    assert reason in switch


def test_when_both_fail_the_offline_answerer_answers(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    huggingface: FakeProvider,
    closed_port_url: str,
    contexts: list[Citation],
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", closed_port_url)
    monkeypatch.setenv("HUGGINGFACE_API_KEY", "hf_expired")
    monkeypatch.setenv("HUGGINGFACE_BASE_URL", huggingface.base_url + "/v1")
    huggingface.reply = Reply(
        401, "application/json", ['{"error": "Invalid credentials in Authorization header"}']
    )

    with caplog.at_level(logging.WARNING, logger=FALLBACK_LOGGER):
        answer, stats = _ask(Settings(_env_file=None), contexts)  # type: ignore[call-arg]

    assert answer == EXTRACTIVE_ANSWER
    assert stats.provider == "extractive"
    first, second = _switches(caplog)
    assert (
        first.startswith("generation fell back from ollama to huggingface:") and "cannot be reached" in first
    )
    assert second.startswith("generation fell back from huggingface to extractive:")
    assert "HTTP 401" in second and "Invalid credentials" in second
    assert len(stats.fallbacks) == 2


def test_without_a_key_huggingface_is_skipped(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    huggingface: FakeProvider,
    closed_port_url: str,
    contexts: list[Citation],
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", closed_port_url)
    monkeypatch.setenv("HUGGINGFACE_BASE_URL", huggingface.base_url + "/v1")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.llm.providers == ["ollama", "extractive"]

    with caplog.at_level(logging.WARNING, logger=FALLBACK_LOGGER):
        answer, _ = _ask(settings, contexts)

    assert answer == EXTRACTIVE_ANSWER
    assert huggingface.requests == []
    (switch,) = _switches(caplog)
    assert switch.startswith("generation fell back from ollama to extractive:")
