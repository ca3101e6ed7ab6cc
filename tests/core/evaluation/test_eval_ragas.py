"""ragas' non-LLM metrics run offline, with no network call; LLM-judged ones are skipped with a reason."""

from __future__ import annotations

import socket
from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from ragplatform.evaluation.ragas_metrics import RagasSample, RagasScorer, ragas_judge
from ragplatform.settings import LLMSettings


class BagOfWords:
    """A tiny deterministic embedder: word counts over a fixed vocabulary, unit length."""

    VOCAB = ("paris", "capital", "france", "berlin", "germany", "city")
    model_id = "test/bag-of-words"
    dim = len(VOCAB)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self.embed_query(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        words = text.lower().replace(".", " ").split()
        vec = np.array([words.count(w) for w in self.VOCAB], dtype=np.float32) + 1e-3
        return vec / np.linalg.norm(vec)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError(f"network is off in this test: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield attempts


def test_non_llm_metrics_score_offline(no_network: list[object]) -> None:
    scorer = RagasScorer(BagOfWords())
    sample = RagasSample(
        question="What is the capital of France?",
        answer="Paris is the capital of France.",
        contexts=["Paris is the capital of France.", "Berlin is a city in Germany."],
        context_doc_ids=["france.md", "germany.md"],
        relevant_doc_ids=["france.md", "paris.md"],
        reference="The capital of France is Paris.",
        reference_contexts=["Paris is the capital of France."],
    )
    got = scorer.score(sample)
    assert got["id_based_context_precision"] == pytest.approx(0.5)  # 1 of 2 retrieved documents is relevant
    assert got["id_based_context_recall"] == pytest.approx(0.5)  # 1 of 2 relevant documents retrieved
    assert got["non_llm_context_recall"] == pytest.approx(1.0)  # the gold passage is among the contexts
    assert got["semantic_similarity"] == pytest.approx(1.0, abs=1e-3)  # same words, same vector
    assert "faithfulness" not in got and "answer_relevancy" not in got
    assert scorer.skipped.keys() == {"faithfulness", "answer_relevancy"}
    assert no_network == [], "ragas must not reach the network"


def test_metrics_without_their_inputs_are_left_out(no_network: list[object]) -> None:
    scorer = RagasScorer(None)
    got = scorer.score(
        RagasSample(
            question="q", answer="a", contexts=[], context_doc_ids=[], relevant_doc_ids=["x"], reference=None
        )
    )
    assert got == {}
    assert scorer.skipped["semantic_similarity"] == "no embedder given"


def test_judge_only_from_an_openai_compatible_provider() -> None:
    judge, note = ragas_judge(LLMSettings(providers=["local", "extractive"]))
    assert judge is None
    assert "local SmolLM2 and extractive cannot judge" in note
