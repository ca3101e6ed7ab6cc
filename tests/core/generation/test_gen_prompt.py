"""The chat messages every model-backed generator sends."""

from __future__ import annotations

import pytest

from ragplatform.generation.base import GenerationRequest
from ragplatform.generation.prompt import (
    DEFAULT_SYSTEM_PROMPT,
    build_messages,
    format_contexts,
    split_system,
)
from ragplatform.schema import Citation


def _citation(n: int, text: str) -> Citation:
    return Citation(chunk_id=f"c{n}", source=f"doc{n}.md", title=f"Doc {n}", score=1.0, text=text)


def test_system_history_then_numbered_contexts_and_question(contexts: list[Citation]) -> None:
    request = GenerationRequest(
        "When does it close?",
        contexts,
        history=[("Q1", "A1"), ("Q2", "A2"), ("Q3", "A3")],
    )
    messages = build_messages(request, history_turns=2)

    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert messages[0]["content"] == DEFAULT_SYSTEM_PROMPT
    assert [m["content"] for m in messages[1:5]] == ["Q2", "A2", "Q3", "A3"]
    last = messages[-1]["content"]
    assert last.index("[1] Library: The central library") < last.index("[2] Parking: Visitors park")
    assert last.endswith("Question: When does it close?")


def test_system_prompt_asks_for_citations_and_for_i_dont_know() -> None:
    assert "[1]" in DEFAULT_SYSTEM_PROMPT and "don't know" in DEFAULT_SYSTEM_PROMPT


def test_custom_system_prompt_replaces_the_default() -> None:
    messages = build_messages(GenerationRequest("hi", system_prompt="Answer in French."))
    assert messages[0] == {"role": "system", "content": "Answer in French."}
    assert "(no passages were found)" in messages[-1]["content"]


def test_empty_history_turns_are_skipped() -> None:
    messages = build_messages(GenerationRequest("hi", history=[("Q", ""), ("Q2", "A2")]))
    assert [m["content"] for m in messages[1:3]] == ["Q2", "A2"]


def test_contexts_fit_the_budget_and_keep_their_numbers() -> None:
    long = [_citation(n, f"passage {n} " + "word " * 400) for n in range(1, 6)]
    text = format_contexts(long, char_budget=1000)

    assert len(text) < 1000 + 5 * 20  # budget plus the "[n] Doc n:" headers
    assert text.startswith("[1] Doc 1: passage 1 word")
    numbers = [line.split("]")[0] for line in text.split("\n\n")]
    assert numbers == [f"[{n}" for n in range(1, len(numbers) + 1)]
    assert "…" in text


def test_passages_that_do_not_fit_are_dropped_from_the_end() -> None:
    many = [_citation(n, "word " * 100) for n in range(1, 11)]
    text = format_contexts(many, char_budget=300)
    assert text.startswith("[1] ") and "[3] " in text and "[4] " not in text


def test_short_passages_leave_room_for_long_ones() -> None:
    text = format_contexts([_citation(1, "Short."), _citation(2, "x " * 600)], char_budget=1000)
    assert len(text.split("\n\n")[1]) > 700


def test_budget_below_minimum_is_refused(contexts: list[Citation]) -> None:
    with pytest.raises(ValueError, match="char_budget must be at least 80, got 10"):
        format_contexts(contexts, char_budget=10)


def test_split_system(contexts: list[Citation]) -> None:
    system, turns = split_system(build_messages(GenerationRequest("q", contexts)))
    assert system == DEFAULT_SYSTEM_PROMPT
    assert [t["role"] for t in turns] == ["user"]
