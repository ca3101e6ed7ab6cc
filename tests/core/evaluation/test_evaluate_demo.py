"""evaluate() on the promoted demo index with evals/demo.jsonl: metrics, per-question rows and the
MLflow evaluation run (metrics, table, chart, version tags), plus the `ragplatform evaluate` command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from ragplatform import cli
from ragplatform.errors import InvalidInput, NotFound
from ragplatform.evaluation import EvalReport, evaluate, load_jsonl

if TYPE_CHECKING:
    from ragplatform.factory import Platform

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "evals" / "demo.jsonl"


@pytest.fixture(scope="module")
def report(platform: Platform) -> EvalReport:
    production = platform.indexes.production()
    assert production is not None
    stages: list[tuple[str, int, int]] = []
    got = evaluate(
        platform.indexes, production.version, load_jsonl(DEMO), top_k=20, progress=lambda *a: stages.append(a)
    )
    assert ("evaluate", 37, 37) in stages and stages[-1] == ("log", 1, 1)
    return got


def test_demo_retrieval_metrics(report: EvalReport) -> None:
    metrics = report.metrics
    # Measured on the demo index (hybrid RRF, 7 articles + 2 fact files + content rows):
    # recall@5 = 1.0, nDCG@10 = 1.0, recall@1 = 0.905 (5 questions have two relevant files).
    assert metrics["recall_at_5"] >= 0.9
    assert metrics["hit_rate_at_10"] == 1.0
    assert metrics["mrr_at_10"] >= 0.9
    assert metrics["ndcg_at_10"] >= 0.9
    assert metrics["recall_at_1"] < metrics["recall_at_5"]
    assert "recall_at_100" not in metrics, "no cut-off deeper than top_k"
    assert metrics["questions"] == metrics["questions_judged"] == 37
    row = next(r for r in report.rows if r["id"] == "5733140a4776f419006606e0")
    assert row["retrieved_doc_ids"][0] == "warsaw.md"
    assert row["first_relevant_rank"] == 1 and row["ndcg_at_10"] == 1.0


def test_evaluation_is_an_mlflow_run_linked_to_the_version(platform: Platform, report: EvalReport) -> None:
    client = platform.registry.client
    assert report.run_id is not None
    run = client.get_run(report.run_id)
    assert run.data.tags["kind"] == "evaluation"
    assert run.data.tags["index_version"] == report.version
    assert run.data.metrics["ndcg_at_10"] == pytest.approx(report.metrics["ndcg_at_10"])
    assert run.data.params["top_k"] == "20" and run.data.params["eval_set"] == "demo"
    artifacts = {a.path for a in client.list_artifacts(report.run_id)}
    assert {"tables", "charts", "questions_table.json"} <= artifacts
    table = json.loads(Path(client.download_artifacts(report.run_id, "tables/questions.json")).read_text())
    assert len(table) == 37 and {"question", "retrieved_doc_ids", "ndcg_at_10"} <= table[0].keys()
    chart = Path(client.download_artifacts(report.run_id, "charts/metrics.png"))
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    version = platform.registry.get_version(report.version)
    assert float(version.tags["eval.demo.ndcg_at_10"]) == pytest.approx(
        report.metrics["ndcg_at_10"], abs=1e-5
    )


def test_worst_questions_come_first(report: EvalReport) -> None:
    worst = report.worst(3, metric="recall_at_1")
    assert [r["recall_at_1"] for r in worst] == sorted(r["recall_at_1"] for r in worst)
    assert worst[0]["recall_at_1"] < 1.0
    assert len(report.table()) == 37


def test_answers_are_scored_offline(platform: Platform) -> None:
    production = platform.indexes.production()
    assert production is not None
    got = evaluate(
        platform.indexes,
        production.version,
        load_jsonl(DEMO).head(4),
        top_k=10,
        with_answers=True,
        log_to_mlflow=False,
    )
    assert got.run_id is None
    for key in ("exact_match", "token_f1", "rouge_l", "id_based_context_recall", "semantic_similarity"):
        assert 0.0 <= got.metrics[key] <= 1.0, key
    assert got.metrics["id_based_context_recall"] == 1.0
    assert got.metrics["token_f1"] > 0.0, [r["answer"] for r in got.rows]
    assert "faithfulness" in got.skipped and "answer_relevancy" in got.skipped
    assert all(r["answer"] for r in got.rows)


def test_bad_arguments(platform: Platform) -> None:
    demo = load_jsonl(DEMO)
    with pytest.raises(NotFound, match="index version 9999 not found"):
        evaluate(platform.indexes, "9999", demo)
    with pytest.raises(InvalidInput, match="top_k must be between 1 and 100, got 0"):
        evaluate(platform.indexes, "1", demo, top_k=0)


@pytest.fixture
def cli_platform(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> Platform:
    @contextmanager
    def same_platform() -> Iterator[Platform]:
        yield platform

    monkeypatch.setattr(cli, "platform", same_platform)
    return platform


def test_cli_evaluate_prints_the_metrics_table(cli_platform: Platform) -> None:
    production = cli_platform.indexes.production()
    assert production is not None
    result = CliRunner().invoke(
        cli.app,
        ["evaluate", production.version, "--evals", str(DEMO), "--top-k", "10"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "nDCG@10" in result.output and "recall@5" in result.output
    assert "MLflow run" in result.output
    bad = CliRunner().invoke(cli.app, ["evaluate", production.version, "--evals", "missing.jsonl"])
    assert bad.exit_code == 2
