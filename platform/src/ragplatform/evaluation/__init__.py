"""Evaluation of index versions: evaluation sets, retrieval and answer metrics, the promotion gate."""

from ragplatform.evaluation.evaluate import EvalReport, VersionRetrievers, evaluate, evaluate_retriever
from ragplatform.evaluation.gate import GateConfig, GateVerdict
from ragplatform.evaluation.sets import (
    EvalItem,
    EvalSet,
    load_beir,
    load_jsonl,
    load_squad,
    slice_beir_corpus,
    split,
    squad_paragraph_id,
    write_squad_corpus,
)

__all__ = [
    "EvalItem",
    "EvalReport",
    "EvalSet",
    "GateConfig",
    "GateVerdict",
    "VersionRetrievers",
    "evaluate",
    "evaluate_retriever",
    "load_beir",
    "load_jsonl",
    "load_squad",
    "slice_beir_corpus",
    "split",
    "squad_paragraph_id",
    "write_squad_corpus",
]
