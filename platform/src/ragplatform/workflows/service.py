"""``WorkflowService``: starts runs (on the task queue, or in the caller's thread when synchronous),
executes them step by step, and decides what happens to a run whose worker died.

Who may run what: the admin-only workflows (``rebuild_index``, ``evaluate_index``,
``qualify_leads``) refuse other callers with PermissionDenied; ``ingest_documents`` is for any
signed-in user, into their own documents. ``user_id`` in the request is whom the run is for (its
events, notification and reads): a user may only name themselves, an admin any account.
When a run ends its user is notified (``workflow_completed`` or ``workflow_failed``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from ragplatform.errors import BadAgentRequest, NotFound, PermissionDenied, RagPlatformError
from ragplatform.workflows.base import Workflow, WorkflowRegistry
from ragplatform.workflows.runs import RunStore, WorkflowRun

if TYPE_CHECKING:
    from ragplatform.content.base import User
    from ragplatform.factory import Platform

log = logging.getLogger(__name__)

PUBLISH_EVERY_S = 0.25  # a step's progress is stored and published at most this often


class RunContext:
    """A running workflow's view: its platform, whom it runs for, and where it reports."""

    def __init__(
        self, platform: Platform, runs: RunStore, run: WorkflowRun, workflow: Workflow[Any], is_admin: bool
    ) -> None:
        self.platform = platform
        self.user_id = run.user_id
        self.is_admin = is_admin
        self._runs = runs
        self._run_id = run.id
        self._steps = workflow.steps
        self._position = 0
        self._name = ""
        self._last = 0.0

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        self._position, self._name = self._steps.index(name), name
        self._record("running", 0.0)
        try:
            yield
        except BaseException:
            self._record("failed", self._fraction)
            raise
        self._record("completed", 1.0)

    def progress(self, done: int, total: int) -> None:
        fraction = done / total if total > 0 else 1.0
        now = time.monotonic()
        if now - self._last < PUBLISH_EVERY_S and done < total:
            self._fraction = fraction
            return
        self._record("running", fraction)

    def note(self, **detail: Any) -> None:
        self._record("running", self._fraction, detail)

    _fraction = 0.0

    def _record(self, status: Any, fraction: float, detail: dict[str, Any] | None = None) -> None:
        self._fraction = fraction
        self._last = time.monotonic()
        overall = (self._position + fraction) / max(1, len(self._steps))
        self._runs.step(self._run_id, self._position, self._name, status, fraction, overall, detail)


class WorkflowService:
    """``defer(run_id) -> job id`` puts a run on the task queue (``queue.WorkflowQueue.defer``)."""

    def __init__(
        self, platform: Platform, runs: RunStore, registry: WorkflowRegistry, defer: Callable[[str], int]
    ) -> None:
        self.platform = platform
        self.runs = runs
        self.registry = registry
        self._defer = defer
        self._executing: set[str] = set()
        self._lock = threading.Lock()

    def describe(self) -> list[dict[str, Any]]:
        return [
            {"workflow_id": w.name, "description": w.description, "admin_only": w.admin_only,
             "steps": list(w.steps), "input_schema": w.Input.model_json_schema()}
            for w in self.registry
        ]  # fmt: skip

    def start(
        self, workflow_id: str, inputs: dict[str, Any], caller: User, *, user_id: str | None = None,
        run_async: bool = False,
    ) -> WorkflowRun:  # fmt: skip
        """Creates a run for ``caller`` (or the account ``user_id`` an admin names) and queues it
        (``run_async``) or executes it now. Raises BadAgentRequest (unknown workflow, bad inputs,
        unknown user_id), PermissionDenied (admin-only workflow, another user's user_id)."""
        workflow = self.registry.get(workflow_id)
        if workflow.admin_only and caller.role != "admin":
            raise PermissionDenied(f"the {workflow.name} workflow is for admins")
        owner = self._owner(caller, user_id)
        params = validate_inputs(workflow, inputs)
        run = self.runs.create(workflow.name, owner, params.model_dump(mode="json"), workflow.steps)
        if not run_async:
            return self.execute(run.id)
        try:
            job_id = self._defer(run.id)
        except RagPlatformError as exc:
            return self._failed(run, f"the run could not be queued: {exc.message}")
        self.runs.set_job(run.id, job_id)
        return self.runs.get(run.id)

    def get(self, run_id: str, caller: User) -> WorkflowRun:
        """Raises NotFound for a run that is not the caller's (unless the caller is an admin)."""
        return self.runs.get(run_id, None if caller.role == "admin" else caller.id)

    def list(
        self, caller: User, *, workflow_id: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[WorkflowRun], int]:
        return self.runs.list(
            None if caller.role == "admin" else caller.id, workflow_id=workflow_id, limit=limit, offset=offset
        )

    def execute(self, run_id: str) -> WorkflowRun:
        """Runs ``run_id`` to its end in this thread. A finished run is left as it is (a retried job
        of a run that completed does nothing); a run already executing in this process too."""
        run = self.runs.get(run_id)
        with self._lock:
            if run.finished or run_id in self._executing:
                return run
            self._executing.add(run_id)
        try:
            return self._execute(run)
        finally:
            with self._lock:
                self._executing.discard(run_id)

    def worker_lost(self, run_id: str, max_attempts: int) -> bool:
        """The worker running ``run_id`` stopped without finishing it. True: run it again (it is
        ``queued`` once more); False: it is finished now (failed after ``max_attempts``), or was."""
        try:
            run = self.runs.get(run_id)
        except NotFound:
            return False
        if run.finished:
            return False
        if run.attempts < max_attempts:
            self.runs.requeue(run_id, f"retrying: the worker running attempt {run.attempts} stopped")
            log.warning(
                "workflow run %s lost its worker; queued again (attempt %d)", run_id, run.attempts + 1
            )
            return True
        self._failed(run, f"the worker running it stopped, {run.attempts} time(s); not retried again")
        return False

    def _execute(self, run: WorkflowRun) -> WorkflowRun:
        workflow = self.registry.get(run.workflow_id)
        params = workflow.Input.model_validate(run.inputs)
        run = self.runs.start(run.id)
        context = RunContext(self.platform, self.runs, run, workflow, self._is_admin(run.user_id))
        try:
            outputs = workflow.run(params, context)
        except RagPlatformError as exc:
            return self._failed(run, exc.message)
        except Exception as exc:
            log.exception("workflow run %s (%s) failed", run.id, run.workflow_id)
            return self._failed(run, f"internal error ({type(exc).__name__}); see the server log")
        run = self.runs.finish(run.id, outputs)
        self._notify(run, "workflow_completed", "success", f"{run.workflow_id} completed", "")
        return run

    def _failed(self, run: WorkflowRun, error: str) -> WorkflowRun:
        run = self.runs.fail(run.id, error)
        self._notify(run, "workflow_failed", "error", f"{run.workflow_id} failed", error)
        return run

    def _notify(self, run: WorkflowRun, kind: str, severity: Any, title: str, message: str) -> None:
        try:
            self.platform.notifications.create(
                run.user_id, kind, title, message, severity=severity,
                metadata={"workflow_run_id": run.id, "workflow_id": run.workflow_id},
                action_url=f"/api/agents/workflows/runs/{run.id}",
            )  # fmt: skip
        except RagPlatformError:
            log.warning("could not notify %s of workflow run %s", run.user_id, run.id, exc_info=True)

    def _owner(self, caller: User, user_id: str | None) -> str:
        if not user_id or user_id == caller.id:
            return caller.id
        if caller.role != "admin":
            raise PermissionDenied("user_id may only name yourself; admins may run workflows for others")
        try:
            return self.platform.content.get_user(user_id).id
        except NotFound:
            raise BadAgentRequest(f"no account {user_id[:60]!r}", field="user_id", value=user_id) from None

    def _is_admin(self, user_id: str) -> bool:
        try:
            return self.platform.content.get_user(user_id).role == "admin"
        except NotFound:
            return False


def validate_inputs(workflow: Workflow[Any], inputs: dict[str, Any]) -> BaseModel:
    """Raises BadAgentRequest naming each bad field (``inputs.<field>``)."""
    try:
        params: BaseModel = workflow.Input.model_validate(inputs)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        problems = [f"inputs.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" if e["loc"] else f"inputs: {e['msg']}"
                    for e in errors]  # fmt: skip
        first = errors[0] if errors else None
        field = "inputs." + ".".join(str(p) for p in first["loc"]) if first and first["loc"] else "inputs"
        raise BadAgentRequest(
            f"invalid inputs for {workflow.name}: {'; '.join(problems)}", field=field,
            value=first.get("input") if first else None,
        ) from None  # fmt: skip
    return params
