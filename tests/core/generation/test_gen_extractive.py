"""The extractive answerer picks the sentence that answers and cites its passage."""

from __future__ import annotations

import pytest

from ragplatform.generation.base import GenerationRequest, GenerationStats, Generator
from ragplatform.generation.extractive import ExtractiveGenerator, split_sentences, tokenize
from ragplatform.generation.prompt import I_DONT_KNOW
from ragplatform.schema import Citation


def _answer(question: str, contexts: list[Citation]) -> str:
    return "".join(ExtractiveGenerator().stream(GenerationRequest(question, contexts)))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "When does the library close on Fridays?",
            "The library closes at 6 pm on Fridays and at 9 pm on other weekdays [1].",
        ),
        ("How much does a parking permit cost?", "A parking permit costs 20 euros per month [2]."),
        ("Where do visitors park?", "Visitors park in lot B [2]."),
    ],
)
def test_answers_with_the_matching_sentence_and_its_citation(
    question: str, expected: str, contexts: list[Citation]
) -> None:
    assert _answer(question, contexts) == expected


def test_citation_number_follows_the_passage_order(contexts: list[Citation]) -> None:
    swapped = [contexts[1], contexts[0]]
    assert _answer("How much does a parking permit cost?", swapped) == (
        "A parking permit costs 20 euros per month [1]."
    )


def test_says_it_does_not_know_without_contexts() -> None:
    assert _answer("When does the library close?", []) == I_DONT_KNOW


def test_says_it_does_not_know_when_nothing_matches(contexts: list[Citation]) -> None:
    assert _answer("Who won the 1998 football world cup?", contexts) == I_DONT_KNOW


def test_streams_in_pieces_and_fills_stats(contexts: list[Citation]) -> None:
    stats = GenerationStats()
    generator = ExtractiveGenerator()
    pieces = list(generator.stream(GenerationRequest("Where do visitors park?", contexts), stats))
    assert len(pieces) > 1
    assert isinstance(generator, Generator)
    assert (stats.provider, stats.model) == ("extractive", "bm25-sentences")
    assert stats.prompt_tokens > 0 and stats.completion_tokens > 0


def test_is_deterministic(contexts: list[Citation]) -> None:
    question = "When does the library open?"
    assert len({_answer(question, contexts) for _ in range(5)}) == 1


def test_sentence_split_and_tokens() -> None:
    text = "Lot B is free. Permits cost 20 euros!\n\n- Buses stop at gate 2\n- Trains run hourly"
    assert split_sentences(text) == [
        "Lot B is free.",
        "Permits cost 20 euros!",
        "- Buses stop at gate 2",
        "- Trains run hourly",
    ]
    assert tokenize("What are the library's policies?") == ["library", "policy"]
