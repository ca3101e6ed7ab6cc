"""IndexRegistry contract on MLflow with a sqlite store (the embedded default)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ragplatform.errors import NotFound
from ragplatform.registry.base import PRODUCTION
from ragplatform.registry.mlflow import MlflowIndexRegistry
from ragplatform.spec import IndexSpec


@pytest.fixture
def registry(tmp_path: Path) -> MlflowIndexRegistry:
    return MlflowIndexRegistry(f"sqlite:///{tmp_path / 'mlflow.db'}", artifact_root=tmp_path / "art")


def register(registry: MlflowIndexRegistry, name: str, collection: str, chunks: float = 10) -> str:
    spec = IndexSpec(name=name)
    with registry.build_run(spec) as run:
        run.log_metrics({"chunks": chunks})
        manifest = Path(registry.client.get_run(run.run_id).info.artifact_uri.removeprefix("file://"))
        manifest.mkdir(parents=True, exist_ok=True)
        version = run.register(collection)
    return version.version


def test_registered_version_carries_spec_collection_and_metrics(registry: MlflowIndexRegistry) -> None:
    v = register(registry, "alpha", "coll_a", chunks=42)
    got = registry.get_version(v)
    assert got.collection == "coll_a"
    assert got.spec.name == "alpha"
    assert got.metrics["chunks"] == 42
    run = registry.client.get_run(got.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["chunking.chunk_size"] == "256"


def test_failed_build_is_never_resolvable(registry: MlflowIndexRegistry) -> None:
    with pytest.raises(RuntimeError), registry.build_run(IndexSpec(name="broken")) as run:
        run_id = run.run_id
        raise RuntimeError("killed halfway")
    assert registry.client.get_run(run_id).info.status == "FAILED"
    assert registry.list_versions() == []
    assert registry.resolve() is None


def test_promote_and_rollback_move_the_alias(registry: MlflowIndexRegistry) -> None:
    v1 = register(registry, "one", "c1")
    v2 = register(registry, "two", "c2")
    assert registry.resolve() is None
    first = registry.promote(v1, reason="first")
    assert (first.version, first.previous, first.verdict) == (v1, None, "promoted")
    second = registry.promote(v2, forced=True, reason="because")
    assert (second.previous, second.verdict) == (v1, "forced")
    current = registry.resolve()
    assert current is not None and current.version == v2 and current.is_production
    assert registry.get_version(v2).tags["promotion.forced"] == "true"
    back = registry.rollback()
    assert back.version == v1
    resolved = registry.resolve(PRODUCTION)
    assert resolved is not None and resolved.collection == "c1"
    with pytest.raises(NotFound, match="roll back"):
        registry.rollback()


def test_list_versions_newest_first_with_aliases(registry: MlflowIndexRegistry) -> None:
    versions = [register(registry, f"s{i}", f"c{i}") for i in range(3)]
    registry.promote(versions[1])
    listed = registry.list_versions()
    assert [v.version for v in listed] == list(reversed(versions))
    assert [v.aliases for v in listed] == [(), (PRODUCTION,), ()]


def test_unknown_version_is_not_found(registry: MlflowIndexRegistry) -> None:
    with pytest.raises(NotFound, match="index version 99 not found"):
        registry.get_version("99")
    with pytest.raises(NotFound):
        registry.promote("99")
    assert registry.resolve() is None


def test_refusal_is_recorded_and_moves_nothing(registry: MlflowIndexRegistry) -> None:
    v1 = register(registry, "one", "c1")
    v2 = register(registry, "two", "c2")
    registry.promote(v1)
    result = registry.record_refusal(v2, "nDCG@10 0.41 < production 0.52")
    assert result.verdict == "refused"
    assert registry.get_version(v2).tags["promotion.reason"].startswith("nDCG@10")
    resolved = registry.resolve()
    assert resolved is not None and resolved.version == v1


def test_evaluation_run_is_linked_to_the_version(registry: MlflowIndexRegistry, tmp_path: Path) -> None:
    v = register(registry, "one", "c1")
    table = tmp_path / "per_question.json"
    table.write_text("[]")
    run_id = registry.log_evaluation(v, "demo", {"ndcg_at_10": 0.5}, {"tables": table})
    run = registry.client.get_run(run_id)
    assert run.data.tags["index_version"] == v
    assert run.data.metrics["ndcg_at_10"] == 0.5
    assert registry.get_version(v).tags["eval.demo.ndcg_at_10"] == "0.5"


def test_two_registries_share_one_store(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    a = MlflowIndexRegistry(uri, artifact_root=tmp_path / "art")
    v = register(a, "shared", "c")
    b = MlflowIndexRegistry(uri, artifact_root=tmp_path / "art")
    b.promote(v)
    resolved = a.resolve()
    assert resolved is not None and resolved.version == v


def test_runs_of_any_kind_are_logged_read_and_failed(registry: MlflowIndexRegistry, tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    chart = tmp_path / "loss.png"
    chart.write_bytes(b"\x89PNG fake")
    with registry.run("finetune", "finetune-x", {"model_ref": "finetuned/x"}) as run:
        run.log_params({"steps": 3, "long": "y" * 600})
        run.log_series("train_loss", [0.9, 0.5, 0.3])
        run.log_metrics({"train_seconds": 1.5})
        run.log_artifacts(model, "model")
        run.log_artifact(chart, "charts")
        run.log_table([{"point": "a", "score": 0.5}], "table.json")
        run.set_tag("note", "hello")
    got = registry.get_run(run.run_id)
    assert (got.kind, got.name, got.status) == ("finetune", "finetune-x", "FINISHED")
    assert got.params["steps"] == "3" and len(got.params["long"]) == 500
    assert got.metrics == {"train_loss": 0.3, "train_seconds": 1.5}
    assert got.tags["model_ref"] == "finetuned/x" and got.tags["note"] == "hello"
    assert got.tags["runner.pid"] == str(os.getpid()), "every run names the process running it"
    assert [m.step for m in registry.client.get_metric_history(run.run_id, "train_loss")] == [0, 1, 2]
    assert set(registry.list_artifacts(run.run_id)) == {"model/config.json", "charts/loss.png", "table.json"}
    assert registry.read_artifact(run.run_id, "charts/loss.png") == b"\x89PNG fake"
    with pytest.raises(NotFound):
        registry.read_artifact(run.run_id, "charts/nothing.png")
    with pytest.raises(NotFound):
        registry.get_run("0" * 32)

    with pytest.raises(RuntimeError), registry.run("sweep", "sweep-broken") as broken:
        raise RuntimeError("halfway")
    assert registry.get_run(broken.run_id).status == "FAILED"

    with registry.build_run(IndexSpec(name="hung"), {"build_job": "j1"}) as hung:
        assert [r.run_id for r in registry.list_runs(kind="build", status="RUNNING")] == [hung.run_id]
        registry.fail_run(hung.run_id, "the process running it died")
        registry.set_run_tag(hung.run_id, "checked", "yes")
    info = registry.get_run(hung.run_id)
    assert info.tags["build_job"] == "j1" and info.tags["failure_reason"] == "the process running it died"
    assert info.status == "FINISHED", "a process that was alive after all has the last word"
    assert registry.list_runs(status="RUNNING") == []
    assert [r.kind for r in registry.list_runs()] == ["build", "sweep", "finetune"]
