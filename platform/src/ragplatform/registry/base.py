"""IndexRegistry: index versions, their builds and evaluations, and the ``production`` alias."""

from __future__ import annotations

from collections.abc import Mapping
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


class BuildRun(Protocol):
    """An open build run. Nothing is resolvable until ``register`` succeeds."""

    run_id: str

    def log_metrics(self, metrics: Mapping[str, float]) -> None: ...
    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None: ...
    def register(self, collection: str, tags: Mapping[str, str] | None = None) -> IndexVersion: ...


@runtime_checkable
class IndexRegistry(Protocol):
    def build_run(self, spec: IndexSpec) -> Any:
        """Context manager yielding a BuildRun; the run is marked FAILED if the block raises."""
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
        self, version: str, eval_name: str, metrics: Mapping[str, float], artifacts: Mapping[str, Path] = {}
    ) -> str: ...
