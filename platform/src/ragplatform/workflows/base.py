"""The workflow contract: a name, who may run it, a pydantic ``Input``, named steps and ``run``.

A workflow reports through its ``WorkflowContext``: ``ctx.step(name)`` opens a step (stored and
published), ``ctx.progress(done, total)`` moves the step's progress, and ``run`` returns the run's
outputs (JSON). The run's overall progress is the share of steps finished plus the current step's
share, so a client's bar moves smoothly across steps.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel

from ragplatform.errors import BadAgentRequest, Conflict

if TYPE_CHECKING:
    from ragplatform.factory import Platform

InputT = TypeVar("InputT", bound=BaseModel)


class WorkflowContext(Protocol):
    """What a running workflow reports through; ``platform`` is the process's platform and
    ``user_id``/``is_admin`` say on whose behalf it runs."""

    platform: Platform
    user_id: str
    is_admin: bool

    def step(self, name: str) -> AbstractContextManager[None]: ...
    def progress(self, done: int, total: int) -> None: ...
    def note(self, **detail: Any) -> None: ...


class Workflow(Protocol[InputT]):
    """One built-in. ``steps`` names the steps in order (``run`` opens each with ``ctx.step``);
    ``admin_only`` workflows refuse other callers. ``run`` raises the platform's errors: a raised
    error fails the run with its message; InvalidInput before any work is a 400 to the caller when
    the run is synchronous."""

    name: str
    description: str
    admin_only: bool
    steps: tuple[str, ...]
    Input: type[InputT]

    def run(self, params: InputT, ctx: WorkflowContext) -> dict[str, Any]: ...


class WorkflowRegistry:
    """The workflows a platform offers, by name, in registration order."""

    def __init__(self, workflows: Iterable[Workflow[Any]] = ()) -> None:
        self._workflows: dict[str, Workflow[Any]] = {}
        for workflow in workflows:
            self.register(workflow)

    def register(self, workflow: Workflow[Any]) -> None:
        if workflow.name in self._workflows:
            raise Conflict(f"a workflow named {workflow.name!r} is registered already")
        self._workflows[workflow.name] = workflow

    def get(self, name: str) -> Workflow[Any]:
        """Raises BadAgentRequest naming the known workflows."""
        workflow = self._workflows.get(name)
        if workflow is None:
            known = ", ".join(self._workflows)
            what = f"unknown workflow_id {name!r}" if name else "workflow_id is required"
            raise BadAgentRequest(f"{what}; known workflows: {known}", field="workflow_id", value=name)
        return workflow

    def __iter__(self) -> Iterator[Workflow[Any]]:
        return iter(self._workflows.values())
