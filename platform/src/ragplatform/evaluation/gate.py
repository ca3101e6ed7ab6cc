"""The promotion gate, as pure policy: a candidate may not regress against production on the
primary metric by more than the tolerance.

The gate evaluates nothing itself. ``IndexManager.promote`` scores both versions on the same
evaluation set (a value already recorded for that set, version tag ``eval.<set>.<metric>``, is
reused through ``recorded``; otherwise it evaluates the version now) and hands the two scores to
``check``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragplatform.errors import InvalidInput
from ragplatform.evaluation.metrics import label
from ragplatform.evaluation.sets import EvalSet, load_beir, load_jsonl, load_squad
from ragplatform.registry.base import IndexVersion

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
            raise InvalidInput(
                f"tolerance must be between 0 and 1, got {self.tolerance}",
                field="tolerance",
                value=self.tolerance,
            )
        if self.eval_format not in ("jsonl", "beir", "squad"):
            raise InvalidInput(
                f"eval_format must be jsonl, beir or squad, got {self.eval_format!r}",
                field="eval_format",
                value=self.eval_format,
            )

    @classmethod
    def from_yaml(cls, path: Path | str) -> GateConfig:
        """Reads ``evals/promotion.yaml``; a relative ``eval_set`` is relative to that file.
        Raises InvalidInput for an unknown key or a bad value."""
        import yaml

        path = Path(path)
        raw: Any = yaml.safe_load(path.read_text()) or {}
        if not isinstance(raw, dict):
            raise InvalidInput(f"{path}: expected a mapping of gate settings", field="path", value=str(path))
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - known)
        if unknown:
            raise InvalidInput(
                f"{path}: unknown gate setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}",
                field=unknown[0],
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


def primary_value(metrics: Mapping[str, float], config: GateConfig) -> float:
    """The gate's primary metric among an evaluation's ``metrics``. Raises InvalidInput when the
    evaluation does not produce it."""
    if config.primary_metric not in metrics:
        raise InvalidInput(
            f"primary metric {config.primary_metric!r} is not produced by a retrieval evaluation; "
            f"choose one of {', '.join(sorted(metrics))}",
            field="primary_metric",
            value=config.primary_metric,
        )
    return metrics[config.primary_metric]


def check(
    candidate: float,
    production: float,
    config: GateConfig,
    *,
    eval_set: str,
    candidate_version: str,
    production_version: str,
) -> GateVerdict:
    """The verdict on two scores of the primary metric on one evaluation set: ``passed`` unless
    candidate < production - tolerance. The versions and the set only word the reason."""
    metric = config.primary_metric
    passed = candidate >= production - config.tolerance - 1e-12
    op = ">=" if passed else "<"
    reason = (
        f"{label(metric)} {candidate:.3f} {op} production {production:.3f} - tolerance "
        f"{config.tolerance:.3f} on eval set '{eval_set}' (candidate v{candidate_version}, "
        f"production v{production_version})"
    )
    log.info("promotion gate: %s", reason)
    return GateVerdict(passed, metric, candidate, production, reason)
