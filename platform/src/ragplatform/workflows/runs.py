"""Workflow runs and their steps in PostgreSQL (tables ``workflow_run`` and ``workflow_step``).

Every change of a run's status, step or progress is written first and then published as
``workflow_status_update`` on the workflows channel (topic ``workflow_run:<id>``, owner the user it
runs for), so a client that polls and a client that listens see the same states. A user reads only
their own runs; another user's run is ``NotFound``, as if it did not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from ragplatform.content.postgres import check_page
from ragplatform.db.pool import connection
from ragplatform.errors import NotFound
from ragplatform.events import PlatformEvent

RunStatus = Literal["queued", "running", "completed", "failed"]
TERMINAL: frozenset[str] = frozenset({"completed", "failed"})


class WorkflowStep(BaseModel):
    position: int
    name: str
    status: RunStatus
    progress: float
    detail: dict[str, Any]
    started_at: datetime | None = None
    finished_at: datetime | None = None


class WorkflowRun(BaseModel):
    id: str
    workflow_id: str
    user_id: str
    status: RunStatus
    step: str
    progress: float
    inputs: dict[str, Any]
    outputs: dict[str, Any] | None = None
    error: str | None = None
    attempts: int
    job_id: int | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime
    steps: list[WorkflowStep] = []

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


def status_event(run: WorkflowRun) -> PlatformEvent:
    """``workflow_status_update`` as the document shows it; the envelope carries the short form."""
    updated = run.updated_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return PlatformEvent(
        channel="workflows",
        type="workflow_status_update",
        data={
            "workflow_run_id": run.id,
            "workflow_id": run.workflow_id,
            "user_id": run.user_id,
            "status": run.status,
            "step": run.step,
            "progress": round(run.progress, 4),
            "updated_at": updated,
        },
        owner=run.user_id,
        topics=(f"workflow_run:{run.id}",),
        envelope={
            "status": run.status,
            "progress": round(run.progress, 4),
            "step": run.step,
            "workflow_run_id": run.id,
            "error": run.error,
        },
    )


class RunStore:
    """Runs and steps; ``publish`` receives each run after every change."""

    def __init__(self, pool: ConnectionPool[Any], publish: Callable[[PlatformEvent], None]) -> None:
        self._pool = pool
        self._publish = publish

    def create(
        self, workflow_id: str, user_id: str, inputs: dict[str, Any], steps: tuple[str, ...]
    ) -> WorkflowRun:
        run_id = str(uuid.uuid4())
        with connection(self._pool) as conn:
            conn.execute(
                "INSERT INTO workflow_run (id, workflow_id, user_id, inputs) VALUES (%s, %s, %s, %s)",
                (run_id, workflow_id, user_id, Jsonb(inputs)),
            )
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO workflow_step (run_id, position, name) VALUES (%s, %s, %s)",
                    [(run_id, i, name) for i, name in enumerate(steps)],
                )
        return self._changed(run_id)

    def get(self, run_id: str, user_id: str | None = None) -> WorkflowRun:
        """The run with its steps; ``user_id`` (None: any, for admins and workers) must own it.
        Raises NotFound."""
        try:
            uuid.UUID(run_id)
        except ValueError:
            raise NotFound(f"no workflow run {run_id[:60]!r}") from None
        with connection(self._pool) as conn:
            row = conn.execute("SELECT * FROM workflow_run WHERE id = %s", (run_id,)).fetchone()
            if row is None or (user_id is not None and row["user_id"] != user_id):
                raise NotFound(f"no workflow run {run_id!r}")
            steps = conn.execute(
                "SELECT * FROM workflow_step WHERE run_id = %s ORDER BY position", (run_id,)
            ).fetchall()
        return _run(row, steps)

    def list(
        self, user_id: str | None = None, *, workflow_id: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[WorkflowRun], int]:
        """Newest first, without steps; ``user_id`` None lists everyone's (admins)."""
        check_page(offset, limit)
        where, params = ["TRUE"], []
        if user_id is not None:
            where.append("user_id = %s")
            params.append(user_id)
        if workflow_id is not None:
            where.append("workflow_id = %s")
            params.append(workflow_id)
        clause = " AND ".join(where)
        with connection(self._pool) as conn:
            total = conn.execute(f"SELECT count(*) AS n FROM workflow_run WHERE {clause}", params).fetchone()
            rows = conn.execute(
                f"SELECT * FROM workflow_run WHERE {clause} ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
                [*params, limit, offset],
            ).fetchall()
        return [_run(row, []) for row in rows], int(total["n"] if total else 0)

    def set_job(self, run_id: str, job_id: int) -> None:
        with connection(self._pool) as conn:
            conn.execute("UPDATE workflow_run SET job_id = %s WHERE id = %s", (job_id, run_id))

    def start(self, run_id: str) -> WorkflowRun:
        """Marks the run running (another attempt when it ran before) and its steps queued again."""
        with connection(self._pool) as conn:
            conn.execute(
                "UPDATE workflow_run SET status = 'running', attempts = attempts + 1, step = '',"
                " progress = 0, error = NULL, started_at = now(), updated_at = now() WHERE id = %s",
                (run_id,),
            )
            conn.execute(
                "UPDATE workflow_step SET status = 'queued', progress = 0, started_at = NULL,"
                " finished_at = NULL WHERE run_id = %s",
                (run_id,),
            )
        return self._changed(run_id)

    def step(
        self, run_id: str, position: int, name: str, status: RunStatus, step_progress: float, run_progress: float,
        detail: dict[str, Any] | None = None,
    ) -> WorkflowRun:  # fmt: skip
        """Records a step's state and the run's overall progress, then publishes."""
        with connection(self._pool) as conn:
            conn.execute(
                "UPDATE workflow_step SET status = %s, progress = %s,"
                " detail = CASE WHEN %s::jsonb IS NULL THEN detail ELSE detail || %s::jsonb END,"
                " started_at = COALESCE(started_at, now()),"
                " finished_at = CASE WHEN %s IN ('completed', 'failed') THEN now() ELSE NULL END"
                " WHERE run_id = %s AND position = %s",
                (status, _fraction(step_progress), Jsonb(detail) if detail else None,
                 Jsonb(detail) if detail else None, status, run_id, position),
            )  # fmt: skip
            conn.execute(
                "UPDATE workflow_run SET step = %s, progress = %s, updated_at = now() WHERE id = %s",
                (name, _fraction(run_progress), run_id),
            )
        return self._changed(run_id)

    def finish(self, run_id: str, outputs: dict[str, Any]) -> WorkflowRun:
        with connection(self._pool) as conn:
            conn.execute(
                "UPDATE workflow_run SET status = 'completed', outputs = %s, progress = 1, error = NULL,"
                " finished_at = now(), updated_at = now() WHERE id = %s",
                (Jsonb(outputs), run_id),
            )
        return self._changed(run_id)

    def fail(self, run_id: str, error: str) -> WorkflowRun:
        """Marks the run failed, and any step still running with it."""
        with connection(self._pool) as conn:
            conn.execute(
                "UPDATE workflow_step SET status = 'failed', finished_at = now()"
                " WHERE run_id = %s AND status = 'running'",
                (run_id,),
            )
            conn.execute(
                "UPDATE workflow_run SET status = 'failed', error = %s, finished_at = now(), updated_at = now()"
                " WHERE id = %s",
                (error[:2000], run_id),
            )
        return self._changed(run_id)

    def requeue(self, run_id: str, note: str) -> WorkflowRun:
        """Back to ``queued`` (its worker died; the queue will run it again), saying why in ``step``."""
        with connection(self._pool) as conn:
            conn.execute(
                "UPDATE workflow_run SET status = 'queued', step = %s, updated_at = now() WHERE id = %s",
                (note[:200], run_id),
            )
        return self._changed(run_id)

    def _changed(self, run_id: str) -> WorkflowRun:
        run = self.get(run_id)
        self._publish(status_event(run))
        return run


def _fraction(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


def _run(row: dict[str, Any], steps: list[dict[str, Any]]) -> WorkflowRun:
    return WorkflowRun.model_validate(
        {
            **row,
            "id": str(row["id"]),
            "steps": [{**s, "detail": s["detail"] or {}} for s in steps],
        }
    )
