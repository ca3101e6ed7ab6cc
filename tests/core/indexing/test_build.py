"""Index builds on real engines: reuse, the embedding cache, bad input, and a build killed halfway."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError

from ragplatform.errors import InvalidInput, UnsupportedMedia
from ragplatform.spec import ChunkingSpec, CorpusSpec, IndexSpec, RetrievalSpec

if TYPE_CHECKING:
    from ragplatform.factory import Platform

SCIFACT = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "scifact" / "corpus.jsonl"


def test_rebuild_with_only_retrieval_changes_embeds_nothing(platform: Platform) -> None:
    production = platform.indexes.production()
    assert production is not None
    # files only: content rows may be changed by other tests (the console's), files are not
    files_only = production.spec.model_copy(
        update={"corpus": production.spec.corpus.model_copy(update={"include_content": False})}
    )
    first = platform.indexes.build(files_only)
    spec = files_only.model_copy(update={"retrieval": RetrievalSpec(mode="dense", top_k=7)})
    result = platform.indexes.build(spec)
    assert result.stats.reused_collection == 1
    assert result.stats.cache_misses == 0
    assert result.version.collection == first.version.collection
    assert result.version.spec.retrieval.top_k == 7
    assert result.version.version != first.version.version
    assert platform.indexes.production() == production, "a build never moves production"


def test_rebuild_with_other_chunking_embeds_only_new_chunks(platform: Platform) -> None:
    production = platform.indexes.production()
    assert production is not None
    spec = production.spec.model_copy(update={"chunking": ChunkingSpec(chunk_size=512, chunk_overlap=32)})
    result = platform.indexes.build(spec)
    s = result.stats
    assert s.reused_collection == 0
    assert result.version.collection != production.collection
    # Short documents (FAQ items, contacts, events) chunk the same at any size: their vectors are cached.
    assert s.cache_hits > 0
    assert s.cache_misses < s.chunks
    assert s.cache_hits + s.cache_misses == s.chunks


def test_build_logs_params_metrics_and_artifacts_to_mlflow(platform: Platform) -> None:
    production = platform.indexes.production()
    assert production is not None
    run = platform.registry.client.get_run(production.run_id)
    assert run.data.params["chunking.strategy"] == "sentence"
    for metric in (
        "documents",
        "chunks",
        "build_seconds",
        "embed_chunks_per_s",
        "cache_hits",
        "cache_misses",
    ):
        assert metric in run.data.metrics
    artifacts = {a.path for a in platform.registry.client.list_artifacts(production.run_id)}
    assert "manifest.json" in artifacts and "charts" in artifacts
    local = platform.registry.client.download_artifacts(production.run_id, "manifest.json")
    manifest = json.loads(Path(local).read_text())
    assert manifest["collection"] == production.collection
    assert any(src.endswith("steam-engine.html") for src in manifest["documents"])


def test_empty_corpus_is_refused_and_nothing_is_registered(platform: Platform, tmp_path: Path) -> None:
    before = [v.version for v in platform.indexes.versions()]
    (tmp_path / "empty").mkdir()
    spec = IndexSpec(name="empty", corpus=CorpusSpec(paths=(str(tmp_path / "empty"),), include_content=False))
    with pytest.raises(InvalidInput, match="corpus is empty"):
        platform.indexes.build(spec)
    missing = IndexSpec(name="missing", corpus=CorpusSpec(paths=("no-such-folder",)))
    with pytest.raises(InvalidInput, match="'no-such-folder' does not exist"):
        platform.indexes.build(missing)
    assert [v.version for v in platform.indexes.versions()] == before


def test_invalid_index_specs_name_the_problem() -> None:
    with pytest.raises(
        ValidationError, match="chunk_overlap \\(300\\) must be smaller than chunk_size \\(256\\)"
    ):
        IndexSpec(chunking=ChunkingSpec(chunk_size=256, chunk_overlap=300))
    with pytest.raises(ValidationError, match="top_k"):
        IndexSpec(retrieval=RetrievalSpec(top_k=0))
    with pytest.raises(ValidationError, match="strategy"):
        IndexSpec.model_validate({"chunking": {"strategy": "paragraphs"}})
    with pytest.raises(ValidationError, match="Extra inputs"):
        IndexSpec.model_validate({"chunking": {"chunk_sise": 100}})


def test_top_k_zero_is_refused_at_query_time(platform: Platform) -> None:
    with pytest.raises(InvalidInput, match="top_k must be between 1 and 100, got 0"):
        platform.serving.current.retriever.search("steam", top_k=0)


def test_unsupported_upload_is_refused_and_nothing_is_stored(platform: Platform) -> None:
    from ragplatform.documents.service import DocumentService

    service = DocumentService(platform.content, platform.files, platform.index, platform.embedder)
    before = platform.content.list_documents(owner="u-bad")
    with pytest.raises(UnsupportedMedia, match=r"\.exe"):
        service.ingest("u-bad", "tool.exe", b"MZ\x90\x00")
    with pytest.raises(InvalidInput):
        service.ingest("u-bad", "empty.txt", b"")
    assert platform.content.list_documents(owner="u-bad") == before


def _write_scifact(dest: Path, n: int) -> None:
    dest.mkdir(parents=True)
    with SCIFACT.open() as fh:
        for i, line in enumerate(fh):
            if i >= n:
                break
            row = json.loads(line)
            (dest / f"{row['_id']}.txt").write_text(f"{row['title']}\n\n{row['text']}\n")


@pytest.mark.slow
def test_a_build_killed_halfway_leaves_production_serving(platform: Platform, tmp_path: Path) -> None:
    """A second process builds into the same embedded engines and is SIGKILLed while embedding."""
    production = platform.indexes.production()
    assert production is not None
    corpus = tmp_path / "big"
    _write_scifact(corpus, 600)
    s = platform.settings
    env = {
        **os.environ,
        "DATA_DIR": str(s.data_dir),
        "DATASETS_DIR": str(s.datasets_dir),
        "LLM__PROVIDERS": "extractive",
        "EMBEDDING__BATCH_SIZE": "16",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ragplatform.cli", "build", "--name", "killed", "--corpus", str(corpus)],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    seen = []
    deadline = time.monotonic() + 240
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("embed:"):
            done, total = map(int, line.split()[1].split("/"))
            if 0 < done < total:
                proc.send_signal(signal.SIGKILL)
                break
        assert time.monotonic() < deadline, "".join(seen[-20:])
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "".join(seen[-20:])

    assert all(v.spec.name != "killed" for v in platform.indexes.versions())
    assert platform.indexes.production() == production
    platform.serving.refresh()
    answer = platform.answers.ask("Who was the inventor of the atmospheric engine?", user_id="after-kill")
    assert answer.index_version == production.version
    assert answer.citations and "Newcomen" in answer.answer
