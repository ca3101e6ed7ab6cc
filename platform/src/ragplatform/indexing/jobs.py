"""Build jobs: index builds started in the background, whose state lives in PostgreSQL.

Any ``ragserve`` replica can start a job, and every replica sees every job: the row (table
``build_job``) holds the stage and progress, the outcome, and the runner, the process that runs
the build in a worker thread (host, pid, start time) with a heartbeat it refreshes while the build
runs. A process that dies (SIGKILL, a lost machine) cannot say so; its jobs are found by whoever
reads them next: a job whose runner is gone from this host, or whose heartbeat is older than
``stale_after_s``, is marked ``failed`` with an error saying the build process died, and the
runs and collections it left behind are reaped (``indexing/reaper.py``).
"""

from __future__ import annotations

import builtins
import logging
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from ragplatform.db.pool import connection
from ragplatform.errors import InvalidInput, NotFound, RagPlatformError
from ragplatform.evaluation.sets import EvalSet
from ragplatform.indexing.build import BuildResult
from ragplatform.indexing.reaper import JOB_TAG
from ragplatform.progress import Progress
from ragplatform.registry.base import PromotionResult
from ragplatform.runner import Runner
from ragplatform.spec import IndexSpec

log = logging.getLogger(__name__)

JobStatus = Literal["queued", "running", "succeeded", "failed"]
ACTIVE: tuple[JobStatus, ...] = ("queued", "running")
DIED = "the build process died"
MAX_LIST = 1000

_COLUMNS = (
    "id, status, stage, done, total, spec, promote, promoted, version, error, requested_by, "
    "runner_host, runner_pid, runner_started, heartbeat_at, started_at, finished_at"
)


@dataclass(frozen=True)
class BuildJob:
    """One build job as every replica sees it."""

    job_id: str
    status: JobStatus
    stage: str
    """The build's current stage: ``load``, ``embed``, ``write``, ``done`` (``""`` when queued)."""
    done: int
    total: int
    spec: IndexSpec
    promote: bool
    """Whether the new version is promoted when the build succeeds."""
    promoted: bool
    version: str | None
    """The index version built, once registered."""
    error: str | None
    requested_by: str
    runner: Runner
    started_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def progress(self) -> float:
        """The current stage's fraction done, 0 to 1."""
        if self.total:
            return min(1.0, self.done / self.total)
        return 1.0 if self.status == "succeeded" else 0.0

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> BuildJob:
        return cls(
            job_id=row["id"],
            status=row["status"],
            stage=row["stage"],
            done=row["done"],
            total=row["total"],
            spec=IndexSpec.model_validate(row["spec"]),
            promote=row["promote"],
            promoted=row["promoted"],
            version=row["version"],
            error=row["error"],
            requested_by=row["requested_by"],
            runner=Runner(row["runner_host"], row["runner_pid"], row["runner_started"]),
            started_at=row["started_at"],
            heartbeat_at=row["heartbeat_at"],
            finished_at=row["finished_at"],
        )


class Builder(Protocol):
    """What a job needs to build and promote (``IndexManager`` is one)."""

    def build(
        self, spec: IndexSpec, progress: Progress = ..., run_tags: Mapping[str, str] | None = ...
    ) -> BuildResult: ...

    def promote(
        self, version: str, *, force: bool = ..., reason: str = ..., eval_set: EvalSet | None = ...
    ) -> PromotionResult: ...


ReapBuilds = Callable[[Collection[str]], object]
"""Reaps the runs and collections of dead builds, given the ids of jobs known dead
(``reap_dead_builds`` with the platform's registry and index)."""


class _Tracker:
    """The latest progress of one running job, written to its row by a heartbeat thread: the
    build never waits on the database, and the row is written at most once per interval."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state = ("load", 0, 0)

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            self.state = (stage, max(done, 0), max(total, 0))

    def snapshot(self) -> tuple[str, int, int]:
        with self._lock:
            return self.state


class BuildJobs:
    """Starts builds in worker threads of this process and keeps their state in PostgreSQL.

    ``progress_interval_s`` bounds how often a running job's row is written (progress and
    heartbeat together); a job whose heartbeat is older than ``stale_after_s`` is presumed dead.
    """

    def __init__(
        self,
        pool: ConnectionPool[Any],
        builder: Builder,
        *,
        reap_builds: ReapBuilds | None = None,
        progress_interval_s: float = 1.0,
        stale_after_s: float = 60.0,
        keep: int = 500,
    ) -> None:
        if progress_interval_s <= 0:
            raise InvalidInput(
                f"progress_interval_s must be positive, got {progress_interval_s}",
                field="progress_interval_s",
                value=progress_interval_s,
            )
        if stale_after_s < 3 * progress_interval_s:
            raise InvalidInput(
                f"stale_after_s must be at least 3 heartbeats ({3 * progress_interval_s:g} s), got {stale_after_s}",
                field="stale_after_s",
                value=stale_after_s,
            )
        self._pool = pool
        self._builder = builder
        self._reap_builds = reap_builds
        self._interval = progress_interval_s
        self._stale_after = stale_after_s
        self._keep = keep

    # -- the API ------------------------------------------------------------------------------

    def start(self, spec: IndexSpec, requested_by: str, *, promote: bool = False) -> BuildJob:
        """Records a queued job and starts building ``spec`` in a worker thread of this process;
        returns at once. Raises InvalidInput (``requested_by`` not storable), BackendUnavailable."""
        job_id = str(uuid.uuid4())
        r = Runner.current()  # not cached: a forked worker is another runner
        with connection(self._pool) as conn:
            row = conn.execute(
                "INSERT INTO build_job (id, spec, promote, requested_by, runner_host, runner_pid,"
                f" runner_started) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
                (
                    job_id,
                    Jsonb(spec.model_dump(mode="json")),
                    promote,
                    requested_by,
                    r.host,
                    r.pid,
                    r.started,
                ),
            ).fetchone()
            assert row is not None  # INSERT ... RETURNING returns the row
            conn.execute(
                "DELETE FROM build_job WHERE status IN ('succeeded', 'failed') AND id NOT IN"
                " (SELECT id FROM build_job ORDER BY started_at DESC LIMIT %s)",
                (self._keep,),
            )
        threading.Thread(
            target=self._run,
            args=(job_id, spec, promote, requested_by),
            daemon=True,
            name=f"build-{job_id[:8]}",
        ).start()
        return BuildJob.from_row(row)

    def get(self, job_id: str) -> BuildJob:
        """One job; a job whose runner died is failed first. Raises NotFound, BackendUnavailable."""
        job = self._select(job_id)
        if job.active and self._bury([job]):
            job = self._select(job_id)
        return job

    def list(self, limit: int = 50) -> builtins.list[BuildJob]:
        """The newest ``limit`` jobs, newest first; jobs whose runner died are failed first.
        Raises InvalidInput (limit out of range), BackendUnavailable."""
        if not 1 <= limit <= MAX_LIST:
            raise InvalidInput(
                f"limit must be between 1 and {MAX_LIST}, got {limit}", field="limit", value=limit
            )
        self._bury(self._active())
        with connection(self._pool) as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM build_job ORDER BY started_at DESC, id LIMIT %s", (limit,)
            ).fetchall()
        return [BuildJob.from_row(row) for row in rows]

    def fail_dead(self) -> builtins.list[str]:
        """Marks failed every active job whose runner died; returns their ids. Raises
        BackendUnavailable."""
        return self._bury(self._active(), reap_builds=False)

    def reap(self) -> builtins.list[str]:
        """``fail_dead``, then reaps the runs and collections of every dead build (started by a
        job or not). Returns the ids of the jobs failed now. Raises BackendUnavailable."""
        dead = self.fail_dead()
        if self._reap_builds is not None:
            self._reap_builds(dead)
        return dead

    def wait(self, job_id: str, timeout_s: float = 600.0, poll_s: float = 0.2) -> BuildJob:
        """The job once it is over, or as it is after ``timeout_s``. Raises NotFound."""
        deadline = time.monotonic() + timeout_s
        job = self.get(job_id)
        while job.active and time.monotonic() < deadline:
            time.sleep(poll_s)
            job = self.get(job_id)
        return job

    # -- the worker thread ---------------------------------------------------------------------

    def _run(self, job_id: str, spec: IndexSpec, promote: bool, requested_by: str) -> None:
        tracker = _Tracker()
        stop = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(job_id, tracker, stop), daemon=True, name=f"beat-{job_id[:8]}"
        )
        version: str | None = None
        promoted = False
        error: str | None = None
        try:
            self._write(job_id, "UPDATE build_job SET status = 'running', heartbeat_at = now() WHERE id = %s")
            beat.start()
            result = self._builder.build(spec, tracker, run_tags={JOB_TAG: job_id})
            version = result.version.version
            if promote:
                self._builder.promote(
                    version, reason=f"build job {job_id} requested by {requested_by or '-'}"
                )
                promoted = True
        except RagPlatformError as exc:
            error = exc.message
        except Exception as exc:  # a bug in a build must show in the job, not vanish with the thread
            log.exception("build job %s failed", job_id)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            stop.set()
            if beat.is_alive():
                beat.join()
        stage, done, total = tracker.snapshot()
        self._write(
            job_id,
            "UPDATE build_job SET status = %s, stage = %s, done = %s, total = %s, version = %s,"
            " promoted = %s, error = %s, heartbeat_at = now(), finished_at = now() WHERE id = %s",
            ("failed" if error else "succeeded", stage, done, total, version, promoted, error, job_id),
        )

    def _heartbeat(self, job_id: str, tracker: _Tracker, stop: threading.Event) -> None:
        while not stop.wait(self._interval):
            stage, done, total = tracker.snapshot()
            self._write(
                job_id,
                "UPDATE build_job SET stage = %s, done = %s, total = %s, heartbeat_at = now()"
                " WHERE id = %s AND status = 'running'",
                (stage, done, total, job_id),
            )

    def _write(self, job_id: str, sql: str, params: tuple[Any, ...] | None = None) -> None:
        """One update of a job's row from its worker; a database hiccup is logged, never raised
        into the build (a job whose heartbeat stops long enough is failed by the readers)."""
        try:
            with connection(self._pool) as conn:
                conn.execute(sql, params if params is not None else (job_id,))
        except RagPlatformError:
            log.warning("could not update build job %s", job_id, exc_info=True)

    # -- bookkeeping ---------------------------------------------------------------------------

    def _select(self, job_id: str) -> BuildJob:
        try:
            uuid.UUID(job_id)
        except (ValueError, TypeError, AttributeError):
            raise NotFound(f"build job {job_id!r} not found") from None
        with connection(self._pool) as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM build_job WHERE id = %s", (job_id,)).fetchone()
        if row is None:
            raise NotFound(f"build job {job_id} not found")
        return BuildJob.from_row(row)

    def _active(self) -> builtins.list[BuildJob]:
        with connection(self._pool) as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM build_job WHERE status IN ('queued', 'running')"
            ).fetchall()
        return [BuildJob.from_row(row) for row in rows]

    def _death(self, job: BuildJob, silent_s: float) -> str | None:
        if job.runner.is_dead():
            return f"{DIED}: {job.runner} is gone"
        if silent_s > self._stale_after:
            return f"{DIED}: no heartbeat from {job.runner} for {silent_s:.0f} s"
        return None

    def _bury(self, jobs: Collection[BuildJob], *, reap_builds: bool = True) -> builtins.list[str]:
        """Marks failed those of ``jobs`` whose runner died; returns their ids. A heartbeat that
        moved since ``jobs`` were read proves the runner alive, so the update requires it unchanged.
        Silence is measured on the database's clock, the one that wrote the heartbeat."""
        if not jobs:
            return []
        dead: builtins.list[str] = []
        with connection(self._pool) as conn:
            now = conn.execute("SELECT now() AS now").fetchone()
            assert now is not None
            for job in jobs:
                reason = self._death(job, (now["now"] - job.heartbeat_at).total_seconds())
                if reason is None:
                    continue
                updated = conn.execute(
                    "UPDATE build_job SET status = 'failed', error = %s, finished_at = now()"
                    " WHERE id = %s AND status IN ('queued', 'running') AND heartbeat_at = %s",
                    (reason, job.job_id, job.heartbeat_at),
                ).rowcount
                if updated:
                    log.warning("build job %s failed: %s", job.job_id, reason)
                    dead.append(job.job_id)
        if dead and reap_builds and self._reap_builds is not None:
            self._reap_dead_builds(dead)
        return dead

    def _reap_dead_builds(self, dead: builtins.list[str]) -> None:
        # Reading a job must not fail because cleaning up after a dead one did; the next read or
        # ``reap()`` (``ragplatform up``) tries again.
        assert self._reap_builds is not None
        try:
            self._reap_builds(dead)
        except Exception:
            log.exception("could not reap the builds of dead jobs %s", ", ".join(dead))
