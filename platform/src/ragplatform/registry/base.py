"""IndexRegistry: index versions, their builds and evaluations, and the ``production`` alias."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ragplatform.spec import IndexSpec

PRODUCTION = "production"


@dataclass(frozen=True)
class IndexVersion:
    """A registered, complete index version: the collection it serves and how it was built."""

    version: str
    run_id: str
    collection: str
    spec: IndexSpec
    created_at: datetime
    metrics: Mapping[str, float] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return PRODUCTION in self.aliases


@dataclass(frozen=True)
class PromotionResult:
    version: str
    previous: str | None
    forced: bool
    verdict: str  # "promoted" | "forced" | "refused"
    reason: str


@dataclass(frozen=True)
class RunInfo:
    """A tracked run as the registry stored it. ``kind`` is what it recorded (``build``,
    ``evaluation``, ``sweep``, ``finetune``); ``status`` is ``RUNNING``, ``FINISHED``, ``FAILED``
    or ``KILLED``."""

    run_id: str
    name: str
    kind: str
    status: str
    experiment_id: str
    started_at: datetime
    ended_at: datetime | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.status == "RUNNING"


class TrackedRun(Protocol):
    """An open run: what a build, a sweep or a fine-tuning logs while it works."""

    run_id: str

    def log_params(self, params: Mapping[str, object]) -> None:
        """Values are stored as text (cut to the store's limit)."""
        ...

    def log_metrics(self, metrics: Mapping[str, float], step: int = 0) -> None: ...
    def log_series(self, key: str, values: Sequence[float]) -> None:
        """One metric over steps 0, 1, 2, ... (a loss curve)."""
        ...

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None: ...
    def log_artifacts(self, directory: Path, artifact_path: str | None = None) -> None:
        """Every file under ``directory``."""
        ...

    def log_table(self, rows: Sequence[Mapping[str, Any]], artifact_file: str) -> None:
        """Rows shown as a table by the tracking UI."""
        ...

    def set_tag(self, key: str, value: str) -> None: ...


class BuildRun(TrackedRun, Protocol):
    """An open build run. Nothing is resolvable until ``register`` succeeds."""

    def register(self, collection: str, tags: Mapping[str, str] | None = None) -> IndexVersion: ...


@runtime_checkable
class IndexRegistry(Protocol):
    def build_run(
        self, spec: IndexSpec, tags: Mapping[str, str] | None = None
    ) -> AbstractContextManager[BuildRun]:
        """A build run tagged ``kind=build`` with the spec as parameters; marked FAILED if the
        block raises, FINISHED otherwise."""
        ...

    def run(
        self, kind: str, name: str, tags: Mapping[str, str] | None = None
    ) -> AbstractContextManager[TrackedRun]:
        """Any other run (``kind`` tag: sweep, finetune, ...); FAILED if the block raises."""
        ...

    def get_run(self, run_id: str) -> RunInfo:
        """Raises NotFound."""
        ...

    def list_runs(self, kind: str | None = None, status: str | None = None) -> list[RunInfo]:
        """Runs of this registry's experiment, newest first, optionally of one kind and status."""
        ...

    def list_artifacts(self, run_id: str) -> list[str]:
        """Paths of every artifact file of the run. Raises NotFound."""
        ...

    def read_artifact(self, run_id: str, path: str) -> bytes:
        """Raises NotFound."""
        ...

    def set_run_tag(self, run_id: str, key: str, value: str) -> None: ...
    def fail_run(self, run_id: str, reason: str) -> None:
        """Marks a run FAILED and records why (tag ``failure_reason``)."""
        ...

    def get_version(self, version: str) -> IndexVersion:
        """Raises NotFound."""
        ...

    def list_versions(self) -> list[IndexVersion]:
        """Newest first."""
        ...

    def resolve(self, alias: str = PRODUCTION) -> IndexVersion | None: ...
    def promote(self, version: str, *, forced: bool = False, reason: str = "") -> PromotionResult:
        """Moves ``production`` to ``version`` and records the move; raises NotFound."""
        ...

    def record_refusal(self, version: str, reason: str) -> PromotionResult: ...
    def rollback(self) -> PromotionResult:
        """Moves ``production`` back to the version it pointed at before; raises NotFound when there is none."""
        ...

    def log_evaluation(
        self,
        version: str,
        eval_name: str,
        metrics: Mapping[str, float],
        artifacts: Mapping[str, Path] = {},
        *,
        params: Mapping[str, object] | None = None,
        table: Sequence[Mapping[str, Any]] | None = None,
    ) -> str:
        """An evaluation run linked to ``version``, whose metrics are also recorded on the version
        (tags ``eval.<eval_name>.<metric>``); ``table`` is the per-question table. Returns the
        run id. Raises NotFound."""
        ...
