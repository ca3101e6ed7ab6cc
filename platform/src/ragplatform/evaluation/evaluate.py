"""Evaluate one index version on one evaluation set, and log the result to the registry.

Retrieval goes through the version's own collection and retrieval defaults (mode, fusion,
alpha, filters, threshold), whether or not it is in production; ``top_k`` is the retrieval
depth evaluated (the spec's ``top_k`` is how many chunks an answer reads). With answers,
each question is answered from that retrieval as ``AnswerService`` would (its relevance
rule and context size, no FAQ shortcut, no history) and scored against the gold answers.

Evaluation takes what it needs, a retriever (``evaluate_retriever``) or something that hands out
a version's retriever and the registry to log to (``evaluate``, ``VersionRetrievers``:
``IndexManager`` is one); it never imports the indexing package, which runs evaluations for the
promotion gate.
"""

from __future__ import annotations

import json
import logging
import math
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ragplatform.answering.relevance import relevant_hits
from ragplatform.errors import InvalidInput
from ragplatform.evaluation import metrics as m
from ragplatform.evaluation.sets import EvalItem, EvalSet
from ragplatform.progress import Progress, no_progress
from ragplatform.registry.base import IndexRegistry
from ragplatform.retrieval.retriever import RetrievalResult, Retriever
from ragplatform.schema import Citation, SearchHit
from ragplatform.settings import AnswerSettings
from ragplatform.vectorindex.base import MAX_TOP_K

if TYPE_CHECKING:
    import pandas as pd

    from ragplatform.embeddings.base import Embedder
    from ragplatform.generation.base import Generator

log = logging.getLogger(__name__)

ANSWER_METRICS = ("exact_match", "token_f1", "rouge_l")
_CITATION_MARK = re.compile(r"\[\d+\]")


class VersionRetrievers(Protocol):
    """What evaluating a registered version needs: its retriever, the registry its evaluation is
    logged to, and an embedder for the embedding-based answer metrics."""

    @property
    def registry(self) -> IndexRegistry: ...
    @property
    def embedder(self) -> Embedder: ...
    def retriever(self, version: str) -> Retriever:
        """Raises NotFound."""
        ...


@dataclass(frozen=True)
class EvalReport:
    """Averaged ``metrics``, one row per question, the MLflow run (None when not logged), and
    the metrics that could not be computed with the reason (``skipped``)."""

    version: str
    eval_set: str
    metrics: dict[str, float]
    rows: list[dict[str, Any]]
    run_id: str | None = None
    skipped: dict[str, str] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """The per-question rows as a DataFrame (lists kept as lists)."""
        import pandas as pd

        return pd.DataFrame(self.rows)

    def worst(self, n: int = 10, metric: str = "ndcg_at_10") -> list[dict[str, Any]]:
        """The ``n`` judged questions that score lowest on ``metric``."""
        scored = [r for r in self.rows if metric in r]
        return sorted(scored, key=lambda r: (r[metric], r["id"]))[:n]


def _answer_contexts(hits: Sequence[SearchHit], settings: AnswerSettings) -> list[SearchHit]:
    """The hits an answer reads: the first ``top_k``, cut by ``AnswerService``'s relevance rule."""
    return relevant_hits(hits[: settings.top_k], settings.relevance_max_distance)


def _generate(generator: Generator, question: str, contexts: Sequence[SearchHit]) -> str:
    from ragplatform.answering.service import IDK
    from ragplatform.generation.base import GenerationRequest, GenerationStats

    if not contexts:
        return IDK
    request = GenerationRequest(question=question, contexts=[Citation.from_hit(h) for h in contexts])
    return "".join(generator.stream(request, GenerationStats())).strip() or IDK


def _retrieval_row(item: EvalItem, result: RetrievalResult, ks: Sequence[int]) -> dict[str, Any]:
    grades = item.grades
    ranked = m.ranked_doc_ids((h.chunk for h in result.hits), judged=grades.keys())
    row: dict[str, Any] = {
        "id": item.id,
        "question": item.question,
        "tags": list(item.tags),
        "relevant_doc_ids": list(item.relevant_doc_ids),
        "retrieved_doc_ids": ranked[:10],
        "first_relevant_rank": m.first_relevant_rank(ranked, grades),
        "retrieval_ms": round(result.total_ms, 2),
        "embed_ms": round(result.embed_ms, 2),
        "search_ms": round(result.search_ms, 2),
    }
    if item.relevant_doc_ids:
        row |= m.retrieval_metrics(ranked, grades, ks)
    return row


def _answer_row(
    item: EvalItem,
    hits: Sequence[SearchHit],
    generator: Generator,
    settings: AnswerSettings,
    scorer: Any,
) -> dict[str, Any]:
    from ragplatform.evaluation.ragas_metrics import RagasSample

    contexts = _answer_contexts(hits, settings)
    answer = _generate(generator, item.question, contexts)
    row: dict[str, Any] = {"answer": answer, "reference_answer": item.reference_answer}
    gold = item.gold_answers
    if gold:
        plain = _CITATION_MARK.sub(" ", answer)
        row |= {
            "exact_match": m.exact_match(plain, gold),
            "token_f1": m.token_f1(plain, gold),
            "rouge_l": m.rouge_l(plain, gold),
        }
    if scorer is not None:
        grades = item.grades
        sample = RagasSample(
            question=item.question,
            answer=answer,
            contexts=[h.chunk.text for h in contexts],
            context_doc_ids=m.ranked_doc_ids((h.chunk for h in contexts), judged=grades.keys()),
            relevant_doc_ids=list(item.relevant_doc_ids),
            reference=item.reference_answer,
            reference_contexts=list(item.reference_contexts),
        )
        row |= scorer.score(sample)
    return row


def _summary(rows: list[dict[str, Any]], keys: Sequence[str]) -> dict[str, float]:
    out = m.mean_metrics(rows, keys)
    latencies = sorted(r["retrieval_ms"] for r in rows)
    out["questions"] = float(len(rows))
    out["questions_judged"] = float(sum(1 for r in rows if r["relevant_doc_ids"]))
    out["retrieval_ms_mean"] = sum(latencies) / len(latencies)
    out["retrieval_ms_p95"] = latencies[min(len(latencies) - 1, math.ceil(0.95 * len(latencies)) - 1)]
    out["embed_ms_mean"] = sum(r["embed_ms"] for r in rows) / len(rows)
    out["search_ms_mean"] = sum(r["search_ms"] for r in rows) / len(rows)
    return out


def evaluate(
    source: VersionRetrievers,
    version: str,
    eval_set: EvalSet,
    *,
    top_k: int = 100,
    with_answers: bool = False,
    generator: Generator | None = None,
    answer_settings: AnswerSettings | None = None,
    use_ragas: bool = True,
    judge: Any | None = None,
    judge_note: str = "",
    progress: Progress = no_progress,
    log_to_mlflow: bool = True,
) -> EvalReport:
    """Evaluates registered ``version`` (through ``source``, e.g. the IndexManager) as
    ``evaluate_retriever`` does, and logs an evaluation run linked to the version.

    Raises NotFound (unknown version, collection gone), InvalidInput (top_k out of range,
    empty set), BackendUnavailable (embedder or engine down).
    """
    _check(eval_set, top_k)
    report = evaluate_retriever(
        source.retriever(version),
        eval_set,
        version=version,
        top_k=top_k,
        with_answers=with_answers,
        generator=generator,
        answer_settings=answer_settings,
        use_ragas=use_ragas,
        similarity_embedder=source.embedder,
        judge=judge,
        judge_note=judge_note,
        progress=progress,
    )
    if not log_to_mlflow:
        return report
    progress("log", 0, 1)
    run_id = log_report(
        source.registry, version, eval_set, report.metrics, report.rows, top_k=top_k, skipped=report.skipped
    )
    progress("log", 1, 1)
    return EvalReport(version, eval_set.name, report.metrics, report.rows, run_id, report.skipped)


def _check(eval_set: EvalSet, top_k: int) -> None:
    if not 1 <= top_k <= MAX_TOP_K:
        raise InvalidInput(
            f"top_k must be between 1 and {MAX_TOP_K}, got {top_k}", field="top_k", value=top_k
        )
    if not eval_set.items:
        raise InvalidInput(f"evaluation set {eval_set.name!r} has no questions", field="eval_set")


def evaluate_retriever(
    retriever: Retriever,
    eval_set: EvalSet,
    *,
    version: str = "",
    top_k: int = 100,
    with_answers: bool = False,
    generator: Generator | None = None,
    answer_settings: AnswerSettings | None = None,
    use_ragas: bool = True,
    similarity_embedder: Embedder | None = None,
    judge: Any | None = None,
    judge_note: str = "",
    progress: Progress = no_progress,
) -> EvalReport:
    """Retrieval metrics (recall@k and hit rate@k for k in 1, 5, 10, 100 up to ``top_k``,
    MRR@10, nDCG@10; averaged over questions with judgements) and, ``with_answers``, answer
    metrics (exact match, token F1, ROUGE-L; ragas non-LLM metrics, semantic similarity with
    ``similarity_embedder`` (default: the retriever's); faithfulness and answer relevancy when
    a ``judge`` from ``ragas_judge`` is given). ``generator`` defaults to the extractive
    answerer. Nothing is logged (``run_id`` is None); ``version`` only labels the report.

    Raises InvalidInput (top_k out of range, empty set), NotFound (collection gone),
    BackendUnavailable (embedder or engine down).
    """
    _check(eval_set, top_k)
    ks = m.retrieval_ks(top_k)
    keys = [f"{name}_at_{k}" for k in ks for name in ("recall", "hit_rate")] + ["mrr_at_10", "ndcg_at_10"]
    settings = answer_settings or AnswerSettings()
    scorer: Any = None
    if with_answers:
        if generator is None:
            from ragplatform.generation.extractive import ExtractiveGenerator

            generator = ExtractiveGenerator()
        if use_ragas:
            from ragplatform.evaluation.ragas_metrics import LLM_JUDGED, NON_LLM, RagasScorer

            scorer = RagasScorer(
                similarity_embedder or retriever.embedder, judge=judge, judge_note=judge_note
            )
            keys += [*ANSWER_METRICS, *NON_LLM, *LLM_JUDGED]
        else:
            keys += list(ANSWER_METRICS)

    rows: list[dict[str, Any]] = []
    total = len(eval_set.items)
    progress("evaluate", 0, total)
    for done, item in enumerate(eval_set.items, 1):
        result = retriever.search(item.question, top_k=top_k)
        row = _retrieval_row(item, result, ks)
        if with_answers and generator is not None:
            row |= _answer_row(item, result.hits, generator, settings, scorer)
        rows.append(row)
        progress("evaluate", done, total)

    skipped: dict[str, str] = {}
    if scorer is not None:
        skipped = dict(scorer.skipped)
        for name, reason in skipped.items():
            log.info("metric %s skipped: %s", name, reason)
    return EvalReport(version, eval_set.name, _summary(rows, keys), rows, None, skipped)


# -- logging ------------------------------------------------------------------------------


def _chart(metrics: Mapping[str, float], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = {
        m.label(k): v
        for k, v in metrics.items()
        if 0.0 <= v <= 1.0 and not k.startswith("questions") and "_ms" not in k
    }
    fig, ax = plt.subplots(figsize=(max(6.0, 0.55 * len(shown) + 2), 3.8))
    bars = ax.bar(list(shown), list(shown.values()), color="#4c72b0")
    ax.bar_label(bars, fmt="%.3f", fontsize=7)
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def log_report(
    registry: IndexRegistry,
    version: str,
    eval_set: EvalSet,
    metrics: Mapping[str, float],
    rows: list[dict[str, Any]],
    *,
    top_k: int,
    skipped: Mapping[str, str] | None = None,
) -> str:
    """One evaluation run: metrics, the per-question table (``tables/questions.json``, and
    ``questions_table.json`` for the MLflow UI's table view), the metrics chart
    (``charts/metrics.png``), and parameters. Returns the run id. Raises NotFound."""
    params: dict[str, object] = {
        "eval_set": eval_set.name,
        "eval_source": eval_set.source[:400],
        "questions": len(rows),
        "top_k": top_k,
    }
    params |= {f"skipped.{k}": v[:400] for k, v in (skipped or {}).items()}
    flat = [{k: json.dumps(v) if isinstance(v, list) else v for k, v in r.items()} for r in rows]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        table = out / "questions.json"
        table.write_text(json.dumps(rows, indent=1, ensure_ascii=False, default=str))
        chart = out / "metrics.png"
        _chart(metrics, f"index v{version} on {eval_set.name} ({len(rows)} questions)", chart)
        return registry.log_evaluation(
            version,
            eval_set.name,
            metrics,
            artifacts={"tables": table, "charts": chart},
            params=params,
            table=flat,
        )
