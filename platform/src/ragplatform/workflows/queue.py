"""Workflow runs on procrastinate, the PostgreSQL task queue: on the embedded database with nothing
more to run, on a PostgreSQL server with workers on other machines.

``WorkflowQueue.defer`` puts a run on the ``workflows`` queue from any thread (the API's). A
worker (``run_worker``: in ``ragserve``'s process when ``WORKFLOWS__WORKER=inprocess``, the
default, or ``ragplatform worker``) executes each job in a thread through
``WorkflowService.execute``, sending procrastinate's heartbeat meanwhile.

A worker killed with SIGKILL leaves its job ``doing`` and its run ``running``. Every worker looks
for such jobs (``recover_stalled``: jobs of workers whose heartbeat is older than
``stalled_after_s``) at start and every ``recover_every_s``; each is retried (the run goes back
to ``queued``) until the run has had ``max_attempts``, then failed (the run too, with a reason, and
its user is notified). A run is therefore never ``running`` for longer than about
``stalled_after_s + recover_every_s`` after its worker died, while any worker lives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import TYPE_CHECKING

import procrastinate
from procrastinate.jobs import Status

from ragplatform.db.pool import to_conninfo
from ragplatform.errors import BackendUnavailable

if TYPE_CHECKING:
    from ragplatform.factory import Platform
    from ragplatform.settings import WorkflowSettings

log = logging.getLogger(__name__)

TASK = "ragplatform.run_workflow"
QUEUE = "workflows"


def _register(app: procrastinate.App, platform: Platform | None) -> None:
    @app.task(name=TASK, queue=QUEUE, pass_context=True)
    async def run_workflow(context: procrastinate.JobContext, run_id: str) -> None:
        if platform is None:  # a deferring-only app never runs jobs
            raise RuntimeError("this app only defers")
        await asyncio.to_thread(platform.workflows.execute, run_id)


class WorkflowQueue:
    """Defers runs from synchronous code; opens its small pool on first use."""

    def __init__(self, database_url: str) -> None:
        self._app = procrastinate.App(
            connector=procrastinate.SyncPsycopgConnector(
                conninfo=to_conninfo(database_url), min_size=1, max_size=2
            )
        )
        _register(self._app, None)
        self._opened = False
        self._lock = threading.Lock()

    def defer(self, run_id: str) -> int:
        """The job id of ``run_id``'s job. Raises BackendUnavailable."""
        with self._lock:
            if not self._opened:
                self._app.open()
                self._opened = True
        try:
            return int(self._app.configure_task(TASK, queue=QUEUE).defer(run_id=run_id))
        except Exception as exc:
            log.warning("deferring workflow run %s failed", run_id, exc_info=True)
            raise BackendUnavailable("the task queue is unavailable") from exc

    def close(self) -> None:
        with self._lock:
            if self._opened:
                self._app.close()
                self._opened = False


async def recover_stalled(app: procrastinate.App, platform: Platform, settings: WorkflowSettings) -> int:
    """Retries or fails the jobs of dead workers; returns how many it handled."""
    manager = app.job_manager
    await manager.prune_stalled_workers(settings.stalled_after_s)
    stalled = await manager.get_stalled_jobs(task_name=TASK, seconds_since_heartbeat=settings.stalled_after_s)
    handled = 0
    for job in stalled:
        run_id = str(job.task_kwargs.get("run_id", ""))
        retry = await asyncio.to_thread(platform.workflows.worker_lost, run_id, settings.max_attempts)
        if retry:
            await manager.retry_job(job)
        else:
            await manager.finish_job(job, status=Status.FAILED, delete_job=False)
        handled += 1
    return handled


async def _recovering(app: procrastinate.App, platform: Platform, settings: WorkflowSettings) -> None:
    while True:
        try:
            await recover_stalled(app, platform, settings)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("looking for runs of dead workers failed; trying again", exc_info=True)
        await asyncio.sleep(settings.recover_every_s)


async def run_worker(
    platform: Platform, *, install_signal_handlers: bool = False, name: str = "ragplatform"
) -> None:
    """Runs workflow jobs until cancelled (or, with signal handlers, until SIGINT/SIGTERM)."""
    settings = platform.settings.workflows
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=to_conninfo(platform.database_url), min_size=1, max_size=3
        )
    )
    _register(app, platform)
    async with app.open_async():
        recovery = asyncio.create_task(_recovering(app, platform, settings), name="workflow-recovery")
        try:
            await app.run_worker_async(
                queues=[QUEUE],
                name=name,
                concurrency=settings.concurrency,
                install_signal_handlers=install_signal_handlers,
                update_heartbeat_interval=settings.heartbeat_s,
                stalled_worker_timeout=settings.stalled_after_s,
                delete_jobs="successful",
            )
        finally:
            recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recovery
