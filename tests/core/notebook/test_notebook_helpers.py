"""The notebooks' shared helpers (ragplatform.notebook) that need no engine: the data slice, the
settings a notebook runs on, and choosing versions. The notebooks themselves run under
``pytest --nbmake notebooks`` (make test)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ragplatform.notebook import beir_slice, latest_per_spec, notebook_settings, repo_root
from ragplatform.registry.base import IndexVersion
from ragplatform.spec import IndexSpec, RetrievalSpec

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def beir(tmp_path: Path) -> Path:
    """A BEIR directory of five documents and three judged training questions."""
    root = tmp_path / "mini"
    (root / "qrels").mkdir(parents=True)
    docs = [{"_id": f"d{i}", "title": f"Title {i}", "text": f"Abstract number {i}."} for i in range(5)]
    (root / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    queries = [{"_id": f"q{i}", "text": f"Question {i}?"} for i in range(3)]
    (root / "queries.train.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries))
    (root / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\nq0\td3\t1\nq1\td4\t1\nq2\td0\t1\n")
    return root


def test_slice_keeps_the_judged_documents_plus_distractors(beir: Path, tmp_path: Path) -> None:
    data = beir_slice(tmp_path / "data", queries=2, distractors=1, beir_dir=beir)

    assert data.name == "mini-train-q2-slice1"
    assert data.eval_set.name == data.name
    assert [item.id for item in data.eval_set] == ["q0", "q1"]
    kept = [json.loads(line)["_id"] for line in data.corpus_path.read_text().splitlines()]
    assert kept == ["d0", "d3", "d4"]  # corpus order: the first other document, then the judged ones
    assert (data.documents, data.judged_documents) == (3, 2)
    assert data.corpus_path == tmp_path / "data" / "beir-slices" / data.name / "corpus.jsonl"
    assert data.spec().corpus.paths == (str(data.corpus_path),)
    assert not data.spec().corpus.include_content


def test_slice_is_not_rewritten_when_unchanged(beir: Path, tmp_path: Path) -> None:
    """Same file, same mtime: the corpus fingerprint (hence the index collection) is reused."""
    first = beir_slice(tmp_path / "data", 2, 1, beir_dir=beir)
    stamp = first.corpus_path.stat().st_mtime_ns
    second = beir_slice(tmp_path / "data", 2, 1, beir_dir=beir)
    assert second.corpus_path.stat().st_mtime_ns == stamp
    assert second.spec() == first.spec()


def test_negative_distractors_take_the_whole_corpus_in_place(beir: Path, tmp_path: Path) -> None:
    data = beir_slice(tmp_path / "data", queries=0, distractors=-1, beir_dir=beir)
    assert data.name == "mini-train"
    assert data.corpus_path == beir / "corpus.jsonl"
    assert (data.documents, len(data.eval_set)) == (5, 3)
    assert not (tmp_path / "data" / "beir-slices").exists()


def test_fit_and_validation_split_the_questions(beir: Path, tmp_path: Path) -> None:
    data = beir_slice(tmp_path / "data", 3, 0, beir_dir=beir)
    fit, validation = {i.id for i in data.fit}, {i.id for i in data.validation}
    assert fit and validation and not fit & validation
    assert fit | validation == {"q0", "q1", "q2"}
    assert data.validation.name == f"{data.name}-validation"


def test_scratch_settings_ignore_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("DATABASE_URL", "MONGODB_URI", "WEAVIATE_URL", "MLFLOW_TRACKING_URI"):
        monkeypatch.setenv(key, "http://somewhere.invalid")
    monkeypatch.chdir(REPO / "notebooks")
    s = notebook_settings(tmp_path / "scratch", experiment="trial")
    assert s.data_dir == (tmp_path / "scratch").resolve()
    assert (s.database_url, s.mongodb_uri, s.weaviate_url, s.mlflow_tracking_uri) == (None, None, None, None)
    assert s.mlflow_experiment == "trial"
    assert s.datasets_dir == REPO / "datasets"
    assert s.promotion_gate == REPO / "evals" / "promotion.yaml"
    assert s.llm.providers == ["extractive"]


def test_project_settings_resolve_from_the_project_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """From notebooks/, the project's engines are the ones `make run` uses: paths from the project root."""
    monkeypatch.delenv("DATA_DIR", raising=False)
    monkeypatch.chdir(REPO / "notebooks")
    assert repo_root() == REPO
    s = notebook_settings("")
    assert s.data_dir.is_absolute() and s.datasets_dir == REPO / "datasets"


def _version(number: int, spec: IndexSpec) -> IndexVersion:
    return IndexVersion(str(number), f"run{number}", f"c{number}", spec, datetime.now(UTC))


def test_latest_per_spec_keeps_the_newest_rebuild() -> None:
    hybrid, dense = IndexSpec(), IndexSpec(retrieval=RetrievalSpec(mode="dense"))
    versions = [_version(1, hybrid), _version(3, hybrid), _version(2, dense)]
    assert [v.version for v in latest_per_spec(versions)] == ["3", "2"]
