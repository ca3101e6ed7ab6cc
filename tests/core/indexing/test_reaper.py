"""Builds that died: a build SIGKILLed after writing its collection leaves a RUNNING run and an
orphaned table; ``ragplatform up`` marks the run FAILED and drops the table, and never touches
production, registered versions, live builds or the user documents."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from indexing_procs import start_script, subprocess_env, write_corpus

from ragplatform.answering.service import USER_DOCUMENTS
from ragplatform.indexing.build import collection_name
from ragplatform.spec import CorpusSpec, IndexSpec

if TYPE_CHECKING:
    from ragplatform.factory import Platform

KILLED_BUILD = """
    import sys, time
    from ragplatform.factory import build_platform
    from ragplatform.settings import Settings
    from ragplatform.spec import CorpusSpec, IndexSpec

    def progress(stage, done, total):
        if stage == "write" and done == total:  # the collection is written, not yet registered
            print("written", flush=True)
            time.sleep(3600)

    platform = build_platform(Settings())
    spec = IndexSpec(name="killed-after-write", corpus=CorpusSpec(paths=(sys.argv[1],), include_content=False))
    platform.indexes.build(spec, progress)
"""


def _collections_of_versions(platform: Platform) -> set[str]:
    return {v.collection for v in platform.indexes.versions()}


@pytest.mark.slow
def test_ragplatform_up_reaps_a_build_killed_after_writing(platform: Platform, tmp_path: Path) -> None:
    production = platform.indexes.production()
    assert production is not None
    corpus = write_corpus(tmp_path / "killed", "foghorn")
    proc, line = start_script(platform, KILLED_BUILD, str(corpus))
    try:
        assert line == "written"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    (run,) = [r for r in platform.registry.list_runs(kind="build") if r.name == "build-killed-after-write"]
    assert run.running, "SIGKILL leaves the run RUNNING"
    (orphan,) = [c for c in platform.index.list_collections() if c.endswith(run.run_id[:8])]
    kept = _collections_of_versions(platform)

    # the real command, in its own process, on this session's engines
    result = subprocess.run(
        [sys.executable, "-m", "ragplatform.cli", "up", "--no-seed"],
        env=subprocess_env(platform),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    said = " ".join((result.stdout + result.stderr).split())  # rich wraps long lines
    assert f"run {run.run_id} marked FAILED: the process running it died (pid {proc.pid}" in said
    assert f"dropped collection {orphan}" in said

    failed = platform.registry.get_run(run.run_id)
    assert failed.status == "FAILED"
    assert failed.tags["failure_reason"].startswith("the process running it died")
    assert not platform.index.has_collection(orphan)
    assert kept <= set(platform.index.list_collections()), "registered versions keep their collections"
    assert platform.indexes.production() == production
    platform.serving.refresh()
    answer = platform.answers.ask("Who was the inventor of the atmospheric engine?", user_id="after-reap")
    assert answer.index_version == production.version
    assert answer.citations and "Newcomen" in answer.answer


def test_reaping_never_drops_live_registered_or_foreign_collections(platform: Platform) -> None:
    dim = platform.embedder.dim
    if not platform.index.has_collection(USER_DOCUMENTS):
        platform.index.create_collection(USER_DOCUMENTS, dim)
    foreign = "idx_0123456789abcdef_01234567_deadbeef"  # named like a build's, no run of ours
    if not platform.index.has_collection(foreign):
        platform.index.create_collection(foreign, dim)
    spec = IndexSpec(name="reaper-live", corpus=CorpusSpec(include_content=False))
    with pytest.raises(RuntimeError), platform.registry.build_run(spec) as broken:
        failed = collection_name(spec, "feedface", broken.run_id)
        platform.index.create_collection(failed, dim)
        raise RuntimeError("a build that failed after writing")
    with platform.registry.build_run(spec) as live:
        writing = collection_name(spec, "c0ffee00", live.run_id)
        platform.index.create_collection(writing, dim)

        report = platform.reap_dead_builds()

        assert live.run_id not in report.failed_runs, "this process is alive"
        assert platform.registry.get_run(live.run_id).running
        assert platform.index.has_collection(writing), "a live build's collection is kept"
        platform.index.drop_collection(writing)
    assert failed in report.dropped_collections and not platform.index.has_collection(failed)
    for name in (USER_DOCUMENTS, foreign, *_collections_of_versions(platform)):
        assert platform.index.has_collection(name), name
    production = platform.indexes.production()
    assert production is not None and platform.index.resolve_alias("production") == production.collection
    platform.index.drop_collection(foreign)
