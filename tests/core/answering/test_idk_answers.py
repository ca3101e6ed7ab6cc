"""An answer that says "I don't know" is unanswered, whether retrieval found nothing or the
generator read the context and found no answer in it: both reach the queue and the admins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ragplatform.answering.service import says_it_does_not_know

if TYPE_CHECKING:
    from ragplatform.factory import Platform

QUESTIONS = [
    "Who was the inventor of the atmospheric engine?",  # answered from the demo corpus
    "Zorbulent quimble vexnar plimth?",  # near enough to some chunks, answered by none
    "What is the airspeed velocity of an unladen swallow in Warsaw?",
]


def test_every_i_dont_know_is_unanswered_and_only_those(platform: Platform) -> None:
    seen: list[str] = []
    platform.answers.on_unanswered.append(lambda q, a, u: seen.append(q))
    try:
        answers = {q: platform.answers.ask(q) for q in QUESTIONS}
    finally:
        platform.answers.on_unanswered.pop()
    for question, answer in answers.items():
        assert answer.unanswered == says_it_does_not_know(answer.answer), (question, answer.answer)
    assert not answers[QUESTIONS[0]].unanswered and "Newcomen" in answers[QUESTIONS[0]].answer
    assert seen == [q for q in QUESTIONS if answers[q].unanswered]
    # the case this guards: context was retrieved and read, and the answer was still "I don't know"
    assert any(a.unanswered and a.source == "rag" and a.citations for a in answers.values()), {
        q: (a.source, a.answer[:60]) for q, a in answers.items()
    }


def test_says_it_does_not_know() -> None:
    assert says_it_does_not_know("I don't know: the provided documents do not contain the answer.")
    assert says_it_does_not_know("  i do not know.")
    assert not says_it_does_not_know("Newcomen built it. I don't know when.")
