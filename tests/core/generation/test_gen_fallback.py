"""The fallback chain: switch before the first piece, never after it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from gen_fakes import FakeProvider, Reply, sse

from ragplatform.errors import BackendUnavailable, InvalidInput
from ragplatform.generation.base import GenerationRequest, GenerationStats, Generator
from ragplatform.generation.extractive import ExtractiveGenerator
from ragplatform.generation.fallback import PROVIDER_KEYS, FallbackGenerator, parse_provider_chain
from ragplatform.generation.openai_compat import OpenAICompatGenerator
from ragplatform.schema import Citation

QUESTION = "How much does a parking permit cost?"
EXTRACTIVE_ANSWER = "A parking permit costs 20 euros per month [2]."


class Spy:
    """A generator that records whether it was asked, and whether its stream was closed."""

    name = "spy"

    def __init__(self, pieces: list[str] | None = None, error: Exception | None = None) -> None:
        self.pieces = pieces or ["spy answer"]
        self.error = error
        self.calls = 0
        self.closed = False

    def stream(self, request: GenerationRequest, stats: GenerationStats | None = None) -> Iterator[str]:
        self.calls += 1
        try:
            if self.error:
                raise self.error
            yield from self.pieces
        finally:
            self.closed = True


def test_unreachable_first_generator_falls_back_and_is_logged(
    closed_port_url: str, contexts: list[Citation], caplog: pytest.LogCaptureFixture
) -> None:
    chain = FallbackGenerator(
        [OpenAICompatGenerator(closed_port_url + "/v1", None, "m", timeout=5), ExtractiveGenerator()]
    )
    stats = GenerationStats()

    with caplog.at_level(logging.WARNING, logger="ragplatform.generation.fallback"):
        answer = "".join(chain.stream(GenerationRequest(QUESTION, contexts), stats))

    assert answer == EXTRACTIVE_ANSWER
    assert stats.provider == "extractive"
    (switch,) = stats.fallbacks
    assert switch.startswith("openai -> extractive: openai at ") and "cannot be reached" in switch
    (record,) = [r for r in caplog.records if r.name == "ragplatform.generation.fallback"]
    assert record.levelno == logging.WARNING
    assert "fell back from openai to extractive" in record.getMessage()
    assert "cannot be reached" in record.getMessage()


def test_rejected_key_falls_back(fake_provider: FakeProvider, contexts: list[Citation]) -> None:
    fake_provider.reply = Reply(401, "application/json", ['{"error": {"message": "Incorrect API key"}}'])
    stats = GenerationStats()
    chain = FallbackGenerator(
        [OpenAICompatGenerator(fake_provider.base_url, "bad", "m"), ExtractiveGenerator()]
    )

    assert "".join(chain.stream(GenerationRequest(QUESTION, contexts), stats)) == EXTRACTIVE_ANSWER
    assert "HTTP 401" in stats.fallbacks[0] and "API key" in stats.fallbacks[0]


def test_failure_after_the_first_piece_raises_instead_of_switching(
    fake_provider: FakeProvider, contexts: list[Citation]
) -> None:
    fake_provider.reply = Reply(
        200,
        "text/event-stream",
        [
            sse({"choices": [{"index": 0, "delta": {"content": "Permits cost"}}]}),
            sse({"error": {"message": "worker crashed"}}),
        ],
    )
    spy = Spy()
    stats = GenerationStats()
    stream = FallbackGenerator([OpenAICompatGenerator(fake_provider.base_url, None, "m"), spy]).stream(
        GenerationRequest(QUESTION, contexts), stats
    )

    assert next(stream) == "Permits cost"
    with pytest.raises(BackendUnavailable, match="worker crashed"):
        next(stream)
    assert spy.calls == 0
    assert stats.fallbacks == []
    assert stats.provider == "openai"


def test_all_unavailable_names_every_reason(closed_port_url: str) -> None:
    chain = FallbackGenerator(
        [
            OpenAICompatGenerator(closed_port_url, None, "m"),
            Spy(error=BackendUnavailable("spy is down")),
        ]
    )
    with pytest.raises(BackendUnavailable) as info:
        list(chain.stream(GenerationRequest("q")))
    assert info.value.message.startswith("no generator could answer: openai: openai at ")
    assert info.value.message.endswith("; spy: spy is down")


def test_a_bug_is_not_hidden_by_falling_back() -> None:
    second = Spy()
    chain = FallbackGenerator([Spy(error=KeyError("oops")), second])
    with pytest.raises(KeyError):
        list(chain.stream(GenerationRequest("q")))
    assert second.calls == 0


def test_closing_the_chain_closes_the_active_generator() -> None:
    spy = Spy(pieces=["a", "b", "c"])
    stream = FallbackGenerator([spy]).stream(GenerationRequest("q"))
    assert next(stream) == "a"
    stream.close()
    assert spy.closed


def test_fallback_is_a_generator() -> None:
    assert isinstance(FallbackGenerator([ExtractiveGenerator()]), Generator)
    with pytest.raises(ValueError, match="at least one"):
        FallbackGenerator([])


def test_provider_keys_and_chain_parsing() -> None:
    assert PROVIDER_KEYS == ("local", "openai", "ollama", "anthropic", "gemini", "huggingface", "extractive")
    assert parse_provider_chain(" OpenAI, local ,extractive") == ("openai", "local", "extractive")
    assert parse_provider_chain(["gemini"]) == ("gemini",)
    with pytest.raises(InvalidInput, match="unknown generator 'gpt'; allowed: local, openai"):
        parse_provider_chain("gpt,local")
    with pytest.raises(InvalidInput, match="empty"):
        parse_provider_chain(" , ")
