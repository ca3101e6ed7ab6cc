"""Build jobs in PostgreSQL: every replica sees every job, progress is written at a bounded rate,
and a job whose process died is failed by whoever reads it next, with its build reaped."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Collection, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from indexing_procs import start_script, write_corpus
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from ragplatform.db.pool import DictConnection, make_pool
from ragplatform.errors import InvalidInput, NotFound, PromotionRefused
from ragplatform.evaluation.sets import EvalSet
from ragplatform.indexing.build import BuildResult, BuildStats
from ragplatform.indexing.jobs import DIED, BuildJobs
from ragplatform.progress import Progress, no_progress
from ragplatform.registry.base import IndexVersion, PromotionResult
from ragplatform.runner import Runner
from ragplatform.spec import IndexSpec, RetrievalSpec

if TYPE_CHECKING:
    from ragplatform.factory import Platform


@pytest.fixture(scope="module")
def pool(platform: Platform) -> Iterator[ConnectionPool[DictConnection]]:
    """A pool of its own, as another replica would have, on the platform's database."""
    from ragplatform.factory import database_url

    p = make_pool(database_url(platform.settings), min_size=1, max_size=4)
    yield p
    p.close()


class FakeBuilder:
    """Reports ``steps`` progress calls, then waits for ``release``; fails with ``error`` if set."""

    def __init__(self, steps: int = 1000, error: Exception | None = None) -> None:
        self.steps = steps
        self.error = error
        self.release = threading.Event()
        self.reported = threading.Event()
        self.run_tags: list[Mapping[str, str] | None] = []
        self.promoted: list[str] = []
        self.refuse = False

    def build(
        self, spec: IndexSpec, progress: Progress = no_progress, run_tags: Mapping[str, str] | None = None
    ) -> BuildResult:
        self.run_tags.append(run_tags)
        for done in range(1, self.steps + 1):
            progress("embed", done, self.steps)
        self.reported.set()
        assert self.release.wait(30)
        if self.error is not None:
            raise self.error
        version = IndexVersion("42", "run-42", "idx_x", spec, datetime.now(UTC))
        return BuildResult(version=version, stats=BuildStats())

    def promote(
        self, version: str, *, force: bool = False, reason: str = "", eval_set: EvalSet | None = None
    ) -> PromotionResult:
        if self.refuse:
            raise PromotionRefused(f"promotion of version {version} refused: worse")
        self.promoted.append(version)
        return PromotionResult(version, None, force, "promoted", reason)


class CountingPool:
    """A pool that counts the connections borrowed from it."""

    def __init__(self, pool: ConnectionPool[DictConnection]) -> None:
        self.pool = pool
        self.borrowed = 0

    def connection(self, *args: Any, **kwargs: Any) -> Any:
        self.borrowed += 1
        return self.pool.connection(*args, **kwargs)


def test_a_job_started_on_one_replica_is_seen_by_another(
    platform: Platform, pool: ConnectionPool[DictConnection]
) -> None:
    production = platform.indexes.production()
    assert production is not None
    # retrieval defaults only: the build reuses production's collection, so it is quick
    spec = production.spec.model_copy(update={"retrieval": RetrievalSpec(mode="keyword", top_k=3)})
    job = platform.build_jobs.start(spec, "alice")
    assert (job.status, job.requested_by, job.spec) == ("queued", "alice", spec)
    assert job.runner == Runner.current()

    other = BuildJobs(pool, platform.indexes)
    assert other.get(job.job_id).spec == spec
    assert job.job_id in [j.job_id for j in other.list()]
    done = other.wait(job.job_id, timeout_s=120)
    assert done.status == "succeeded", done.error
    assert done.version is not None and done.finished_at is not None
    assert (done.stage, done.progress) == ("done", 1.0)
    built = platform.registry.get_version(done.version)
    assert built.spec.retrieval.mode == "keyword"
    assert platform.registry.get_run(built.run_id).tags["build_job"] == job.job_id
    assert not done.promoted and platform.indexes.production() == production


def test_progress_is_written_at_a_bounded_rate(pool: ConnectionPool[DictConnection]) -> None:
    builder = FakeBuilder(steps=5000)
    counting = CountingPool(pool)
    jobs = BuildJobs(counting, builder, progress_interval_s=0.2, stale_after_s=1.0)  # type: ignore[arg-type]
    job = jobs.start(IndexSpec(name="bounded"), "bob")
    assert builder.reported.wait(10)
    before = counting.borrowed
    time.sleep(1.0)
    running = jobs.get(job.job_id)
    assert (running.status, running.stage, running.done, running.total) == ("running", "embed", 5000, 5000)
    # 5000 progress calls, yet about one write per interval (5 in the second we waited)
    assert counting.borrowed - before <= 9
    assert running.heartbeat_at > job.heartbeat_at
    builder.release.set()
    done = jobs.wait(job.job_id, timeout_s=10)
    assert done.status == "succeeded" and done.version == "42"
    assert builder.run_tags == [{"build_job": job.job_id}]


def test_a_failed_build_and_a_refused_promotion_show_in_the_job(pool: ConnectionPool[DictConnection]) -> None:
    failing = FakeBuilder(steps=3, error=InvalidInput("corpus is empty: no supported documents"))
    failing.release.set()
    jobs = BuildJobs(pool, failing)
    failed = jobs.wait(jobs.start(IndexSpec(name="empty"), "carol").job_id, timeout_s=10)
    assert (failed.status, failed.error) == ("failed", "corpus is empty: no supported documents")
    assert failed.version is None and failed.finished_at is not None

    buggy = FakeBuilder(steps=1, error=KeyError("chunks"))
    buggy.release.set()
    jobs = BuildJobs(pool, buggy)
    crashed = jobs.wait(jobs.start(IndexSpec(), "carol").job_id, timeout_s=10)
    assert crashed.status == "failed" and crashed.error == "KeyError: 'chunks'"

    refusing = FakeBuilder(steps=1)
    refusing.release.set()
    refusing.refuse = True
    jobs = BuildJobs(pool, refusing)
    refused = jobs.wait(jobs.start(IndexSpec(), "dave", promote=True).job_id, timeout_s=10)
    assert (refused.status, refused.version, refused.promoted) == ("failed", "42", False)
    assert refused.error == "promotion of version 42 refused: worse"

    promoting = FakeBuilder(steps=1)
    promoting.release.set()
    jobs = BuildJobs(pool, promoting)
    promoted = jobs.wait(jobs.start(IndexSpec(), "dave", promote=True).job_id, timeout_s=10)
    assert (promoted.status, promoted.promoted, promoting.promoted) == ("succeeded", True, ["42"])


def _insert_job(
    pool: ConnectionPool[DictConnection], runner: Runner, *, silent_s: float = 0.0, status: str = "running"
) -> str:
    job_id = str(uuid.uuid4())
    with pool.connection() as conn:
        conn.execute(
            "INSERT INTO build_job (id, status, stage, spec, requested_by, runner_host, runner_pid,"
            " runner_started, heartbeat_at) VALUES (%s, %s, 'embed', %s, 'eve', %s, %s, %s,"
            " now() - make_interval(secs => %s))",
            (
                job_id,
                status,
                Jsonb(IndexSpec().model_dump(mode="json")),
                runner.host,
                runner.pid,
                runner.started,
                silent_s,
            ),
        )
    return job_id


def test_a_job_whose_runner_died_is_failed_when_read(pool: ConnectionPool[DictConnection]) -> None:
    reaped: list[Collection[str]] = []
    jobs = BuildJobs(pool, FakeBuilder(), reap_builds=reaped.append, stale_after_s=60)
    exited = subprocess.Popen(["true"])
    exited.wait()
    here = Runner.current()
    gone = _insert_job(pool, Runner(here.host, exited.pid, here.started + 1))
    reused = _insert_job(
        pool, Runner(here.host, os.getpid(), here.started - 3600)
    )  # our pid, not our process
    silent = _insert_job(pool, Runner("elsewhere", 4242, 1.0), silent_s=300)
    alive_elsewhere = _insert_job(pool, Runner("elsewhere", 4243, 1.0), silent_s=5)
    alive_here = _insert_job(pool, here, silent_s=5)

    got = jobs.get(gone)
    assert got.status == "failed" and got.finished_at is not None
    assert got.error == f"{DIED}: pid {exited.pid} on {here.host} is gone"
    assert reaped == [[gone]], "the dead job's build is reaped at once"

    listed = {j.job_id: j for j in jobs.list(limit=100)}
    assert listed[reused].status == "failed"
    assert listed[silent].status == "failed"
    assert listed[silent].error == f"{DIED}: no heartbeat from pid 4242 on elsewhere for 300 s"
    assert listed[alive_elsewhere].status == "running"
    assert listed[alive_here].status == "running"
    assert sorted(reaped[1]) == sorted([reused, silent])
    assert jobs.reap() == [] and reaped[-1] == []  # nothing more died; dead builds are still reaped
    with pool.connection() as conn:
        conn.execute("DELETE FROM build_job WHERE id = ANY(%s)", ([alive_elsewhere, alive_here],))


def test_unknown_jobs_and_bad_limits(pool: ConnectionPool[DictConnection]) -> None:
    jobs = BuildJobs(pool, FakeBuilder())
    for job_id in ("nope", str(uuid.uuid4()), "\ud800", "a\x00b"):
        with pytest.raises(NotFound, match="build job"):
            jobs.get(job_id)
    with pytest.raises(InvalidInput, match="limit must be between 1 and 1000, got 0") as err:
        jobs.list(limit=0)
    assert (err.value.field, err.value.value) == ("limit", 0)
    with pytest.raises(InvalidInput, match="stale_after_s"):
        BuildJobs(pool, FakeBuilder(), progress_interval_s=1.0, stale_after_s=2.0)


KILLED_JOB = """
    import sys, time
    from ragplatform.db.pool import make_pool
    from ragplatform.factory import build_platform, database_url
    from ragplatform.indexing.jobs import BuildJobs
    from ragplatform.settings import Settings
    from ragplatform.spec import CorpusSpec, IndexSpec

    class StopsAfterWriting:
        '''Builds for real, then hangs once the collection is written, before registering it.'''

        def __init__(self, manager):
            self.manager = manager

        def build(self, spec, progress, run_tags=None):
            def report(stage, done, total):
                progress(stage, done, total)
                if stage == "write" and done == total:
                    print("written", flush=True)
                    time.sleep(3600)

            return self.manager.build(spec, report, run_tags)

        def promote(self, version, **options):
            return self.manager.promote(version, **options)

    settings = Settings()
    platform = build_platform(settings)
    jobs = BuildJobs(make_pool(database_url(settings)), StopsAfterWriting(platform.indexes), progress_interval_s=0.2, stale_after_s=5)
    spec = IndexSpec(name="job-killed", corpus=CorpusSpec(paths=(sys.argv[1],), include_content=False))
    print(jobs.start(spec, "killer").job_id, flush=True)
    time.sleep(3600)
"""


@pytest.mark.slow
def test_a_job_whose_process_was_killed_fails_and_its_build_is_reaped(
    platform: Platform, tmp_path: Path
) -> None:
    production = platform.indexes.production()
    assert production is not None
    corpus = write_corpus(tmp_path / "jobs", "lighthouse")
    proc, job_id = start_script(platform, KILLED_JOB, str(corpus))
    try:
        assert proc.stdout is not None
        running = platform.build_jobs.get(job_id)  # started in another process, seen here
        assert running.status in ("queued", "running") and running.runner.pid == proc.pid
        assert proc.stdout.readline().strip() == "written"
        time.sleep(0.6)  # a heartbeat or two
        assert platform.build_jobs.get(job_id).stage == "write"
        runs = [r for r in platform.registry.list_runs(kind="build") if r.tags.get("build_job") == job_id]
        assert len(runs) == 1 and runs[0].running
        run_id = runs[0].run_id
        orphan = [c for c in platform.index.list_collections() if c.endswith(run_id[:8])]
        assert len(orphan) == 1
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    failed = platform.build_jobs.get(job_id)
    assert failed.status == "failed"
    assert failed.error == f"{DIED}: pid {proc.pid} on {failed.runner.host} is gone"
    run = platform.registry.get_run(run_id)
    assert run.status == "FAILED" and "died" in run.tags["failure_reason"]
    assert not platform.index.has_collection(orphan[0])
    assert platform.indexes.production() == production
    platform.serving.refresh()
    answer = platform.answers.ask("Who was the inventor of the atmospheric engine?", user_id="after-job-kill")
    assert answer.index_version == production.version and "Newcomen" in answer.answer
