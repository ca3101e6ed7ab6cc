"""Retrieval metrics from document ids, and answer metrics from text.

Retrieval metrics follow ``pytrec_eval`` (and so BEIR): a document is relevant when its
grade is at least 1; nDCG uses the grade as the gain with a ``log2(rank + 1)`` discount and
the ideal ranking of all judged grades; recall divides by every relevant document; MRR@k
is the reciprocal rank of the first relevant document within k (0 when none). Ranks are
ranks of *documents*: chunks are mapped to their document and a document counts once, at
its best rank (``ranked_doc_ids``).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ragplatform.schema import Chunk

RETRIEVAL_KS = (1, 5, 10, 100)

LABELS = {
    "ndcg_at_10": "nDCG@10",
    "mrr_at_10": "MRR@10",
    "exact_match": "exact match",
    "token_f1": "token F1",
    "rouge_l": "ROUGE-L",
}


def label(metric: str) -> str:
    """The name a person reads: ``ndcg_at_10`` → ``nDCG@10``, ``recall_at_5`` → ``recall@5``."""
    if metric in LABELS:
        return LABELS[metric]
    return re.sub(r"_at_(\d+)$", r"@\1", metric)


# -- chunks → documents -----------------------------------------------------------


def chunk_doc_ids(chunk: Chunk) -> tuple[str, ...]:
    """Every id a judgement may use for the chunk's document, most specific first: the
    record's own id (BEIR/JSONL/CSV records), the document id, and the file the document came
    from (``apollo-missions.csv`` for ``apollo-missions.csv#7``)."""
    ids: list[str] = []
    record_id = chunk.extra.get("record_id") if chunk.extra else None
    if record_id:
        ids.append(str(record_id))
    ids.append(chunk.doc_id)
    file_part = chunk.doc_id.split("#", 1)[0]
    if file_part != chunk.doc_id:
        ids.append(file_part)
    return tuple(ids)


def ranked_doc_ids(chunks: Iterable[Chunk], judged: Iterable[str] = ()) -> list[str]:
    """Documents in rank order, each once at its best rank.

    A chunk is named by the first of its ids (``chunk_doc_ids``) that is judged, else by its
    most specific id; so a chunk of ``corpus.jsonl#123`` counts as document ``123``.
    """
    judged_set = set(judged)
    out: list[str] = []
    seen: set[str] = set()
    for chunk in chunks:
        ids = chunk_doc_ids(chunk)
        name = next((i for i in ids if i in judged_set), ids[0])
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


# -- retrieval metrics -------------------------------------------------------------


def _relevant(qrels: Mapping[str, int]) -> set[str]:
    return {d for d, g in qrels.items() if g > 0}


def recall_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    relevant = _relevant(qrels)
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def hit_rate_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    return 1.0 if _relevant(qrels).intersection(ranked[:k]) else 0.0


def mrr_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    relevant = _relevant(qrels)
    for rank, doc in enumerate(ranked[:k], 1):
        if doc in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """Graded nDCG@k: gain = grade (grades ≤ 0 give nothing), discount ``log2(rank + 1)``."""
    dcg = sum(max(qrels.get(doc, 0), 0) / math.log2(rank + 1) for rank, doc in enumerate(ranked[:k], 1))
    ideal = sorted((g for g in qrels.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, 1))
    return dcg / idcg if idcg > 0 else 0.0


def first_relevant_rank(ranked: Sequence[str], qrels: Mapping[str, int]) -> int | None:
    relevant = _relevant(qrels)
    return next((rank for rank, doc in enumerate(ranked, 1) if doc in relevant), None)


def retrieval_ks(top_k: int) -> tuple[int, ...]:
    """The cut-offs that make sense for a retrieval depth: 1, 5, 10, 100 up to ``top_k``."""
    ks = tuple(k for k in RETRIEVAL_KS if k <= top_k)
    return ks or (top_k,)


def retrieval_metrics(ranked: Sequence[str], qrels: Mapping[str, int], ks: Sequence[int]) -> dict[str, float]:
    """Per-question metrics: recall@k and hit rate@k for each k, MRR@10, nDCG@10."""
    out: dict[str, float] = {}
    for k in ks:
        out[f"recall_at_{k}"] = recall_at_k(ranked, qrels, k)
        out[f"hit_rate_at_{k}"] = hit_rate_at_k(ranked, qrels, k)
    out["mrr_at_10"] = mrr_at_k(ranked, qrels, 10)
    out["ndcg_at_10"] = ndcg_at_k(ranked, qrels, 10)
    return out


def mean_metrics(rows: Iterable[Mapping[str, Any]], keys: Iterable[str]) -> dict[str, float]:
    """Mean of each key over the rows that have a number for it (NaN and None skipped)."""
    rows = list(rows)
    out: dict[str, float] = {}
    for key in keys:
        values = [
            float(r[key])
            for r in rows
            if isinstance(r.get(key), int | float) and not math.isnan(float(r[key]))
        ]
        if values:
            out[key] = sum(values) / len(values)
    return out


# -- answer metrics (SQuAD's official normalisation) ----------------------------------

_PUNCT = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """Lower case, no punctuation, no articles (a, an, the), single spaces: SQuAD v1.1's rule."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals any normalised gold answer."""
    pred = normalize_answer(prediction)
    return 1.0 if any(pred == normalize_answer(g) for g in gold) else 0.0


def _f1(prediction: str, reference: str) -> float:
    pred, ref = normalize_answer(prediction).split(), normalize_answer(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    same = sum((Counter(pred) & Counter(ref)).values())
    if not same:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, gold: Sequence[str]) -> float:
    """Best token-overlap F1 against the gold answers (SQuAD v1.1)."""
    return max((_f1(prediction, g) for g in gold), default=0.0)


def rouge_l(prediction: str, gold: Sequence[str]) -> float:
    """Best ROUGE-L F-measure (rouge-score, stemmed) against the gold answers."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    return max((scorer.score(g, prediction)["rougeL"].fmeasure for g in gold), default=0.0)
