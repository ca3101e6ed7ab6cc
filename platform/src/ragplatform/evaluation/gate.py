"""The promotion gate: a candidate may not regress against production on the primary metric.

Both versions are scored on the same evaluation set; a value already recorded for that set
(version tag ``eval.<set>.<metric>``, written by every evaluation) is reused, otherwise the
version is evaluated now (retrieval only) and the result logged like any evaluation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragplatform.errors import InvalidInput
from ragplatform.evaluation.metrics import label
from ragplatform.evaluation.sets import EvalSet, load_beir, load_jsonl, load_squad
from ragplatform.registry.base import IndexVersion

if TYPE_CHECKING:
    from ragplatform.indexing.manager import IndexManager

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GateConfig:
    """``eval_set`` (a path, optional) is used when ``promote`` is given none; ``eval_format``
    says how to read it (``jsonl``, ``beir``, ``squad``); ``limit`` and ``split`` apply to BEIR
    and SQuAD. Without an eval set the gate makes no comparison (and records that)."""

    primary_metric: str = "ndcg_at_10"
    tolerance: float = 0.01
    top_k: int = 100
    eval_set: Path | None = None
    eval_format: str = "jsonl"
    split: str = "train"
    limit: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.tolerance <= 1.0:
            raise InvalidInput(f"tolerance must be between 0 and 1, got {self.tolerance}")
        if self.eval_format not in ("jsonl", "beir", "squad"):
            raise InvalidInput(f"eval_format must be jsonl, beir or squad, got {self.eval_format!r}")

    @classmethod
    def from_yaml(cls, path: Path | str) -> GateConfig:
        """Reads ``evals/promotion.yaml``; a relative ``eval_set`` is relative to that file.
        Raises InvalidInput for an unknown key or a bad value."""
        import yaml

        path = Path(path)
        raw: Any = yaml.safe_load(path.read_text()) or {}
        if not isinstance(raw, dict):
            raise InvalidInput(f"{path}: expected a mapping of gate settings")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - known)
        if unknown:
            raise InvalidInput(
                f"{path}: unknown gate setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        if raw.get("eval_set"):
            eval_path = Path(raw["eval_set"]).expanduser()
            raw["eval_set"] = eval_path if eval_path.is_absolute() else (path.parent / eval_path).resolve()
        return cls(**raw)

    def load_eval_set(self) -> EvalSet | None:
        if self.eval_set is None:
            return None
        if self.eval_format == "beir":
            return load_beir(self.eval_set, split=self.split, limit=self.limit)
        if self.eval_format == "squad":
            return load_squad(self.eval_set, limit=self.limit)
        return load_jsonl(self.eval_set)


@dataclass(frozen=True)
class GateVerdict:
    passed: bool
    metric: str
    candidate: float | None
    production: float | None
    reason: str


def recorded(version: IndexVersion, eval_set: str, metric: str) -> float | None:
    """The value an earlier evaluation recorded on the version, if any."""
    raw = version.tags.get(f"eval.{eval_set}.{metric}")
    try:
        return None if raw is None else float(raw)
    except ValueError:
        return None


def score(manager: IndexManager, version: IndexVersion, eval_set: EvalSet, config: GateConfig) -> float:
    """The primary metric of ``version`` on ``eval_set``: recorded, or evaluated now.
    Raises InvalidInput when the evaluation does not produce that metric."""
    value = recorded(version, eval_set.name, config.primary_metric)
    if value is not None:
        return value
    from ragplatform.evaluation.evaluate import evaluate

    report = evaluate(manager, version.version, eval_set, top_k=config.top_k)
    if config.primary_metric not in report.metrics:
        raise InvalidInput(
            f"primary metric {config.primary_metric!r} is not produced by a retrieval evaluation; "
            f"choose one of {', '.join(sorted(report.metrics))}"
        )
    return report.metrics[config.primary_metric]


def check(
    manager: IndexManager,
    candidate: IndexVersion,
    production: IndexVersion,
    eval_set: EvalSet,
    config: GateConfig,
) -> GateVerdict:
    """Compares the candidate with production; ``passed`` unless candidate < production - tolerance."""
    metric = config.primary_metric
    cand = score(manager, candidate, eval_set, config)
    prod = score(manager, production, eval_set, config)
    passed = cand >= prod - config.tolerance - 1e-12
    op = ">=" if passed else "<"
    reason = (
        f"{label(metric)} {cand:.3f} {op} production {prod:.3f} - tolerance {config.tolerance:.3f} "
        f"on eval set '{eval_set.name}' (candidate v{candidate.version}, production v{production.version})"
    )
    log.info("promotion gate: %s", reason)
    return GateVerdict(passed, metric, cand, prod, reason)
