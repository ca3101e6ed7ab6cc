"""ragas answer metrics, offline.

Non-LLM metrics always run here: id-based context precision and recall (the documents
behind the answer's contexts against the relevant ones), non-LLM context recall (string
similarity of the contexts to the gold passages, where the item has them) and semantic
similarity of answer and reference with the platform's own embedder. LLM-judged metrics
(faithfulness, answer relevancy) need a judge: an OpenAI-compatible endpoint configured
as an LLM provider (``ragas_judge``); the local SmolLM2 and the extractive answerer cannot
judge, so without one they are skipped and the reason is reported. A metric that fails
(e.g. a judge that cannot be reached) is skipped for the rest of the run, with its reason.

ragas is imported lazily (it takes seconds) and with ``RAGAS_DO_NOT_TRACK=true``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ragplatform.embeddings.base import Embedder
from ragplatform.settings import LLMSettings

log = logging.getLogger(__name__)

NON_LLM = (
    "id_based_context_precision",
    "id_based_context_recall",
    "non_llm_context_recall",
    "semantic_similarity",
)
LLM_JUDGED = ("faithfulness", "answer_relevancy")


@dataclass(frozen=True)
class RagasSample:
    question: str
    answer: str
    contexts: Sequence[str]
    context_doc_ids: Sequence[str]
    relevant_doc_ids: Sequence[str]
    reference: str | None
    reference_contexts: Sequence[str] = ()


def _embedding_adapter(embedder: Embedder) -> Any:
    """The platform's embedder as a ragas ``BaseRagasEmbedding``."""
    from ragas.embeddings.base import BaseRagasEmbedding

    class PlatformEmbedding(BaseRagasEmbedding):  # type: ignore[misc]
        def embed_text(self, text: str, **kwargs: Any) -> list[float]:
            return [float(x) for x in embedder.embed_query(text or " ")]

        async def aembed_text(self, text: str, **kwargs: Any) -> list[float]:
            return self.embed_text(text)

        def embed_texts(self, texts: list[str], **kwargs: Any) -> list[list[float]]:
            return [[float(x) for x in row] for row in embedder.embed_documents([t or " " for t in texts])]

    return PlatformEmbedding()


def ragas_judge(llm: LLMSettings) -> tuple[Any | None, str]:
    """A ragas LLM for the LLM-judged metrics, from the first OpenAI-compatible provider in the
    chain (``openai``, or ``ollama`` through its ``/v1`` endpoint), and why there is none."""
    for provider in llm.providers:
        if provider not in ("openai", "ollama"):
            continue
        from openai import AsyncOpenAI
        from ragas.llms import llm_factory

        if provider == "openai":
            key = llm.openai_api_key.get_secret_value() if llm.openai_api_key else "none"
            client = AsyncOpenAI(base_url=llm.openai_base_url, api_key=key, timeout=llm.timeout_s)
            return llm_factory(llm.openai_model, client=client), f"openai-compatible judge {llm.openai_model}"
        base = llm.ollama_base_url.rstrip("/") + "/v1"
        client = AsyncOpenAI(base_url=base, api_key="ollama", timeout=llm.timeout_s)
        return llm_factory(llm.ollama_model, client=client), f"ollama judge {llm.ollama_model}"
    return None, (
        f"no LLM judge: providers {','.join(llm.providers)} include no OpenAI-compatible endpoint "
        "(local SmolLM2 and extractive cannot judge)"
    )


def _sync(make: Any) -> Any:
    """Runs the coroutine ``make()`` to completion, in a worker thread when an event loop is
    already running here (a notebook cell, a server handler)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


class RagasScorer:
    """Scores one answered question at a time; ``skipped`` says which metrics did not run and why."""

    def __init__(self, embedder: Embedder | None, judge: Any | None = None, judge_note: str = "") -> None:
        os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ragas 0.4 deprecates the single-turn metric classes
            from ragas.metrics import IDBasedContextPrecision, IDBasedContextRecall, NonLLMContextRecall
        self.skipped: dict[str, str] = {}
        self._id_precision = IDBasedContextPrecision()
        self._id_recall = IDBasedContextRecall()
        self._context_recall = NonLLMContextRecall()
        self._similarity: Any = None
        if embedder is not None:
            from ragas.metrics.collections import SemanticSimilarity

            self._similarity = SemanticSimilarity(embeddings=_embedding_adapter(embedder))
        else:
            self.skipped["semantic_similarity"] = "no embedder given"
        self._faithfulness: Any = None
        self._relevancy: Any = None
        if judge is not None:
            from ragas.metrics.collections import AnswerRelevancy, Faithfulness

            self._faithfulness = Faithfulness(llm=judge)
            if embedder is not None:
                self._relevancy = AnswerRelevancy(llm=judge, embeddings=_embedding_adapter(embedder))
        else:
            for name in LLM_JUDGED:
                self.skipped[name] = judge_note or "no LLM judge configured"

    def _run(self, name: str, fn: Any) -> float | None:
        if name in self.skipped:
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = fn()
        except Exception as exc:
            self.skipped[name] = f"{type(exc).__name__}: {exc}"[:300]
            log.warning("ragas metric %s skipped: %s", name, self.skipped[name])
            return None
        value = getattr(value, "value", value)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return float(value)

    def score(self, sample: RagasSample) -> dict[str, float]:
        from ragas.dataset_schema import SingleTurnSample

        out: dict[str, float | None] = {}
        if sample.relevant_doc_ids and sample.context_doc_ids:
            ids = SingleTurnSample(
                retrieved_context_ids=list(sample.context_doc_ids),
                reference_context_ids=list(sample.relevant_doc_ids),
            )
            out["id_based_context_precision"] = self._run(
                "id_based_context_precision", lambda: self._id_precision.single_turn_score(ids)
            )
            out["id_based_context_recall"] = self._run(
                "id_based_context_recall", lambda: self._id_recall.single_turn_score(ids)
            )
        if sample.reference_contexts and sample.contexts:
            texts = SingleTurnSample(
                retrieved_contexts=list(sample.contexts), reference_contexts=list(sample.reference_contexts)
            )
            out["non_llm_context_recall"] = self._run(
                "non_llm_context_recall", lambda: self._context_recall.single_turn_score(texts)
            )
        if self._similarity is not None and sample.reference:
            out["semantic_similarity"] = self._run(
                "semantic_similarity",
                lambda: _sync(
                    lambda: self._similarity.ascore(reference=sample.reference, response=sample.answer)
                ),
            )
        if self._faithfulness is not None and sample.contexts:
            out["faithfulness"] = self._run(
                "faithfulness",
                lambda: _sync(
                    lambda: self._faithfulness.ascore(
                        user_input=sample.question,
                        response=sample.answer,
                        retrieved_contexts=list(sample.contexts),
                    )
                ),
            )
        if self._relevancy is not None:
            out["answer_relevancy"] = self._run(
                "answer_relevancy",
                lambda: _sync(
                    lambda: self._relevancy.ascore(user_input=sample.question, response=sample.answer)
                ),
            )
        return {k: v for k, v in out.items() if v is not None}
