"""Retrieval and answer metrics on hand-made rankings, checked against values computed by hand
(pytrec_eval conventions: linear gain, log2(rank + 1) discount, grade 0 = not relevant)."""

from __future__ import annotations

import math

import pytest

from ragplatform.evaluation import metrics as m
from ragplatform.schema import Chunk

RANKED = ["d1", "d2", "d3", "d4"]
QRELS = {"d2": 2, "d4": 1, "d5": 1, "d3": 0}  # d3 judged not relevant; d5 never retrieved


def test_recall_and_hit_rate_count_relevant_documents_within_k() -> None:
    assert m.recall_at_k(RANKED, QRELS, 1) == 0.0
    assert m.recall_at_k(RANKED, QRELS, 2) == pytest.approx(1 / 3)
    assert m.recall_at_k(RANKED, QRELS, 5) == pytest.approx(2 / 3)
    assert m.hit_rate_at_k(RANKED, QRELS, 1) == 0.0
    assert m.hit_rate_at_k(RANKED, QRELS, 2) == 1.0


def test_mrr_is_the_reciprocal_rank_of_the_first_relevant_document_within_k() -> None:
    assert m.mrr_at_k(RANKED, QRELS, 10) == 0.5
    assert m.mrr_at_k(RANKED, QRELS, 1) == 0.0
    assert m.mrr_at_k(["x", "y", "d4"], QRELS) == pytest.approx(1 / 3)
    assert m.first_relevant_rank(RANKED, QRELS) == 2
    assert m.first_relevant_rank(["x"], QRELS) is None


def test_ndcg_uses_grades_as_gains_with_log2_discounts() -> None:
    dcg = 2 / math.log2(3) + 1 / math.log2(5)  # d2 at rank 2, d4 at rank 4; d3 (grade 0) adds nothing
    idcg = 2 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)  # grades 2, 1, 1 in the ideal order
    assert m.ndcg_at_k(RANKED, QRELS, 10) == pytest.approx(dcg / idcg)
    assert m.ndcg_at_k(RANKED, QRELS, 10) == pytest.approx(0.5405857679)
    assert m.ndcg_at_k(["d2", "d4", "d5"], QRELS, 10) == pytest.approx(1.0)
    assert m.ndcg_at_k(["d2"], QRELS, 1) == pytest.approx(1.0), "the ideal is cut at k too"
    assert m.ndcg_at_k(["x"], {}, 10) == 0.0


def test_retrieval_metrics_per_question_and_cut_offs() -> None:
    assert m.retrieval_ks(100) == (1, 5, 10, 100)
    assert m.retrieval_ks(20) == (1, 5, 10)
    assert m.retrieval_ks(3) == (1,)
    got = m.retrieval_metrics(RANKED, QRELS, (1, 5))
    assert got == pytest.approx(
        {
            "recall_at_1": 0.0,
            "hit_rate_at_1": 0.0,
            "recall_at_5": 2 / 3,
            "hit_rate_at_5": 1.0,
            "mrr_at_10": 0.5,
            "ndcg_at_10": 0.5405857679,
        }
    )
    rows = [{"a": 1.0, "b": float("nan")}, {"a": 0.0}, {"a": 0.5, "b": 1.0}]
    assert m.mean_metrics(rows, ["a", "b", "c"]) == {"a": 0.5, "b": 1.0}


def test_chunks_map_to_documents_once_at_their_best_rank() -> None:
    chunks = [
        Chunk(id="c1", doc_id="corpus.jsonl#123", text="a", extra={"record_id": "123"}),
        Chunk(id="c2", doc_id="warsaw.md", text="b"),
        Chunk(id="c3", doc_id="corpus.jsonl#123", text="c", extra={"record_id": "123"}),
        Chunk(id="c4", doc_id="apollo-missions.csv#7", text="d", extra={"record_id": "7"}),
        Chunk(id="c5", doc_id="apollo-missions.csv#8", text="e", extra={"record_id": "8"}),
        Chunk(id="c6", doc_id="faq/3", text="f", kind="faq"),
    ]
    # Records are named by their own id; a file named in the judgements stands for its records.
    judged = ["123", "apollo-missions.csv"]
    assert m.ranked_doc_ids(chunks, judged) == ["123", "warsaw.md", "apollo-missions.csv", "faq/3"]
    assert m.ranked_doc_ids(chunks) == ["123", "warsaw.md", "7", "8", "faq/3"]
    assert m.chunk_doc_ids(chunks[3]) == ("7", "apollo-missions.csv#7", "apollo-missions.csv")


def test_squad_answer_metrics_normalise_case_punctuation_and_articles() -> None:
    gold = ["the Eiffel Tower", "Eiffel Tower in Paris"]
    assert m.normalize_answer("The  Eiffel-Tower!") == "eiffeltower"
    assert m.exact_match("eiffel tower.", gold) == 1.0
    assert m.exact_match("a tower", gold) == 0.0
    # "Tower in Paris": 3 shared tokens with the 4-token second answer: P=1, R=3/4.
    assert m.token_f1("Tower in Paris", gold) == pytest.approx(2 * 1 * 0.75 / 1.75)
    assert m.token_f1("nothing alike", gold) == 0.0
    assert m.rouge_l("The Eiffel Tower", gold) == pytest.approx(1.0)
    # ROUGE-L keeps articles: LCS 2 of 3 reference tokens, P=1, R=2/3, F=0.8.
    assert m.rouge_l("Eiffel Tower", gold) == pytest.approx(0.8)
    assert 0.0 < m.rouge_l("the tower of Eiffel", gold) < 1.0


def test_labels_are_what_people_read() -> None:
    assert m.label("ndcg_at_10") == "nDCG@10"
    assert m.label("recall_at_5") == "recall@5"
    assert m.label("hit_rate_at_100") == "hit_rate@100"
