"""Sweeps on the demo corpus: one version per point, each evaluated and logged, the best chosen,
the sweep itself an MLflow run with its table and trade-off chart; bad configs named precisely."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ragplatform.errors import InvalidInput
from ragplatform.evaluation import load_jsonl
from ragplatform.tuning import SweepConfig, SweepResult, sweep

if TYPE_CHECKING:
    from ragplatform.factory import Platform

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def result(platform: Platform) -> SweepResult:
    production = platform.indexes.production()
    assert production is not None
    demo = load_jsonl(REPO / "evals" / "demo.jsonl")
    small = replace(demo, name="demo-sweep-slice", items=demo.items[:12])
    config = SweepConfig.from_mapping(
        {
            "metric": "mrr_at_10",
            "top_k": 20,
            "chunking": [{"chunk_size": 256, "chunk_overlap": 32}],
            "retrieval": [{"mode": "keyword"}, {"mode": "hybrid", "fusion": "alpha", "alpha": [0.0, 1.0]}],
        }
    )
    stages: list[str] = []
    got = sweep(platform.indexes, production.spec, config, small, progress=lambda s, d, t: stages.append(s))
    assert stages.count("point") == 4 and "evaluate" in stages
    return got


def test_every_point_is_a_registered_version_with_its_evaluation(
    platform: Platform, result: SweepResult
) -> None:
    assert [p.label for p in result.points] == [
        "sentence/256 keyword",
        "sentence/256 hybrid alpha=0",
        "sentence/256 hybrid alpha=1",
    ]
    versions = {v.version: v for v in platform.indexes.versions()}
    for point in result.points:
        assert versions[point.version].spec == point.spec
        assert point.eval_run_id is not None
        run = platform.registry.client.get_run(point.eval_run_id)
        assert run.data.tags["sweep_run_id"] == result.run_id
        assert run.data.metrics["mrr_at_10"] == pytest.approx(point.metrics["mrr_at_10"])
    # one collection for all three points: they differ in retrieval only
    assert len({versions[p.version].collection for p in result.points}) == 1


def test_alpha_zero_is_keyword_only(result: SweepResult) -> None:
    keyword, alpha0, _ = result.points
    assert alpha0.metrics["recall_at_10"] == pytest.approx(keyword.metrics["recall_at_10"])


def test_the_best_point_has_the_highest_metric_and_the_table_is_sorted(result: SweepResult) -> None:
    top = max(p.metrics["mrr_at_10"] for p in result.points)
    assert result.best.metrics["mrr_at_10"] == top
    table = result.table()
    assert list(table["mrr_at_10"]) == sorted(table["mrr_at_10"], reverse=True)
    assert table.loc[0, "mrr_at_10"] == top


def test_the_sweep_run_holds_the_table_and_the_chart(platform: Platform, result: SweepResult) -> None:
    client = platform.registry.client
    assert result.run_id is not None
    run = client.get_run(result.run_id)
    assert run.data.tags["kind"] == "sweep"
    assert run.data.params["best_version"] == result.best.version
    paths = {a.path for folder in ("tables", "charts") for a in client.list_artifacts(result.run_id, folder)}
    assert {"tables/sweep.json", "tables/specs.json", "charts/tradeoff.png"} <= paths
    local = client.download_artifacts(result.run_id, "tables/sweep.json")
    rows = json.loads(Path(local).read_text())
    assert {r["version"] for r in rows} == {p.version for p in result.points}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"retrieval": [{"mode": "fuzzy"}]}, "retrieval entry 1"),
        ({"chunking": [{"chunk_size": [64, 16], "chunk_overlap": 32}]}, "chunk_overlap"),
        ({"retrieval": "dense"}, "must be a list of mappings"),
        ({"grid": []}, "unknown key"),
        ({"top_k": 0}, "top_k must be between"),
    ],
)
def test_bad_configs_say_what_is_wrong(raw: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        SweepConfig.from_mapping(raw)


@pytest.mark.parametrize("name", ["sweep.yaml", "sweep-fusion.yaml"])
def test_the_shipped_sweep_configs_load(name: str) -> None:
    config = SweepConfig.from_yaml(REPO / "evals" / name)
    assert config.metric == "ndcg_at_10"
    assert {r.mode for r in config.retrieval} == {"keyword", "dense", "hybrid"}
    assert len(config.chunking) * len(config.retrieval) >= 6
