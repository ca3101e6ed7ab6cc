"""A sweep: build one index version per point of a grid, evaluate each, choose the best.

The grid comes from a YAML file in ``evals/`` (``evals/sweep.yaml``)::

    metric: ndcg_at_10          # what "best" means
    top_k: 100                  # retrieval depth evaluated
    chunking:                   # each entry a ChunkingSpec; list values expand
      - {strategy: sentence, chunk_size: [128, 256], chunk_overlap: 16}
    retrieval:                  # each entry a RetrievalSpec; list values expand
      - {mode: keyword}
      - {mode: hybrid, fusion: alpha, alpha: [0.3, 0.5, 0.7]}

Points = chunking × retrieval. Points that share chunking share one collection (builds are
content-addressed), so only the first point per chunking parses and embeds. Every point is a
registered version with its build run and an evaluation run; the sweep itself is one more
MLflow run (``kind=sweep``) holding the table of points and the quality-against-latency chart,
and each evaluation run is tagged with the sweep's id. Choose on a validation split: the
points are scored on the evaluation set you pass, so pass the validation half of
``ragplatform.evaluation.split`` and keep the other half for fitting (e.g. fine-tuning).
"""

from __future__ import annotations

import itertools
import json
import logging
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ragplatform.errors import InvalidInput
from ragplatform.evaluation.evaluate import evaluate
from ragplatform.evaluation.sets import EvalSet
from ragplatform.metrics.percentiles import percentile
from ragplatform.progress import Progress, no_progress
from ragplatform.spec import ChunkingSpec, IndexSpec, RetrievalSpec
from ragplatform.vectorindex.base import MAX_TOP_K

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from ragplatform.indexing.manager import IndexManager

log = logging.getLogger(__name__)


_SHOWN_STAGES = frozenset({"point", "embed", "evaluate"})


def _expand(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``{a: [1, 2], b: 3}`` → ``[{a: 1, b: 3}, {a: 2, b: 3}]``."""
    keys = list(entry)
    values = [v if isinstance(v, list) else [v] for v in entry.values()]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values)]


@dataclass(frozen=True)
class SweepConfig:
    chunking: tuple[ChunkingSpec, ...]
    retrieval: tuple[RetrievalSpec, ...]
    metric: str = "ndcg_at_10"
    top_k: int = 100

    def __post_init__(self) -> None:
        if not self.chunking or not self.retrieval:
            raise InvalidInput(
                "a sweep needs at least one chunking and one retrieval entry",
                field="chunking" if not self.chunking else "retrieval",
            )
        if not 1 <= self.top_k <= MAX_TOP_K:
            raise InvalidInput(
                f"top_k must be between 1 and {MAX_TOP_K}, got {self.top_k}", field="top_k", value=self.top_k
            )

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], where: str = "sweep config") -> SweepConfig:
        """Raises InvalidInput naming the entry and the field for anything malformed."""
        unknown = sorted(set(raw) - {"chunking", "retrieval", "metric", "top_k"})
        if unknown:
            raise InvalidInput(f"{where}: unknown key(s) {', '.join(unknown)}", field=unknown[0])
        sections: dict[str, list[Any]] = {}
        for name, model in (("chunking", ChunkingSpec), ("retrieval", RetrievalSpec)):
            entries = raw.get(name, [{}])
            if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                raise InvalidInput(f"{where}: {name!r} must be a list of mappings", field=name)
            points: list[Any] = []
            for number, entry in enumerate(entries, 1):
                for combo in _expand(entry):
                    try:
                        points.append(model.model_validate(combo))
                    except ValidationError as exc:
                        problem = "; ".join(
                            f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}"
                            for e in exc.errors()
                        )
                        first = exc.errors()[0]
                        raise InvalidInput(
                            f"{where}: {name} entry {number} {combo}: {problem}",
                            field=".".join([name, *(str(p) for p in first["loc"])]),
                            value=first.get("input") if first["loc"] else None,
                        ) from exc
            sections[name] = list(dict.fromkeys(points))  # drop duplicates, keep order
        return cls(
            chunking=tuple(sections["chunking"]),
            retrieval=tuple(sections["retrieval"]),
            metric=str(raw.get("metric", "ndcg_at_10")),
            top_k=int(raw.get("top_k", 100)),
        )

    @classmethod
    def from_yaml(cls, path: Path | str) -> SweepConfig:
        import yaml

        path = Path(path)
        if not path.is_file():
            raise InvalidInput(f"sweep config {path} does not exist", field="path", value=str(path))
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(raw, dict):
            raise InvalidInput(
                f"{path}: expected a mapping with 'chunking' and 'retrieval'", field="path", value=str(path)
            )
        return cls.from_mapping(raw, str(path))

    def specs(self, base: IndexSpec) -> list[IndexSpec]:
        """The grid's index specs, chunking-major (so each collection is built once, first)."""
        return [
            base.model_copy(update={"chunking": chunking, "retrieval": retrieval})
            for chunking in self.chunking
            for retrieval in self.retrieval
        ]


def describe(spec: IndexSpec) -> str:
    """A short label: ``sentence/256 hybrid rrf k=60``."""
    c, r = spec.chunking, spec.retrieval
    label = f"{c.strategy}/{c.chunk_size} {r.mode}"
    if r.mode == "hybrid":
        label += f" rrf k={r.rrf_k}" if r.fusion == "rrf" else f" alpha={r.alpha:g}"
    return label


@dataclass(frozen=True)
class SweepPoint:
    spec: IndexSpec
    version: str
    metrics: dict[str, float]
    eval_run_id: str | None
    latency_p50_ms: float
    latency_p95_ms: float
    built_s: float

    @property
    def label(self) -> str:
        return describe(self.spec)


@dataclass
class SweepResult:
    points: list[SweepPoint]
    metric: str
    eval_set: str
    run_id: str | None = None

    @property
    def best(self) -> SweepPoint:
        """Highest ``metric``; ties go to the faster point, then the earlier one."""
        return max(
            self.points,
            key=lambda p: (p.metrics.get(self.metric, float("-inf")), -p.latency_p50_ms),
        )

    def table(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for p in self.points:
            rows.append(
                {
                    "point": p.label,
                    "version": p.version,
                    self.metric: p.metrics.get(self.metric),
                    "recall_at_100": p.metrics.get("recall_at_100"),
                    "mrr_at_10": p.metrics.get("mrr_at_10"),
                    "p50_ms": round(p.latency_p50_ms, 1),
                    "p95_ms": round(p.latency_p95_ms, 1),
                    "chunk_size": p.spec.chunking.chunk_size,
                    "mode": p.spec.retrieval.mode,
                    "fusion": p.spec.retrieval.fusion if p.spec.retrieval.mode == "hybrid" else "",
                    "alpha": p.spec.retrieval.alpha,
                    "rrf_k": p.spec.retrieval.rrf_k,
                }
            )
        return pd.DataFrame(rows).sort_values(self.metric, ascending=False, ignore_index=True)


def _percentile(values: Sequence[float], q: float) -> float:
    return percentile(values, q) or 0.0


def plot_tradeoff(result: SweepResult) -> Figure:
    """Quality (``metric``) against median query latency, one dot per point, the best ringed."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.8), layout="constrained")
    ax = fig.subplots()
    colours = {"keyword": "#dd8452", "dense": "#4c72b0", "hybrid": "#55a868"}
    for mode, colour in colours.items():
        pts = [p for p in result.points if p.spec.retrieval.mode == mode]
        if pts:
            ax.scatter(
                [p.latency_p50_ms for p in pts],
                [p.metrics.get(result.metric, 0.0) for p in pts],
                label=mode,
                color=colour,
                s=40,
            )
    for p in result.points:
        ax.annotate(p.label, (p.latency_p50_ms, p.metrics.get(result.metric, 0.0)), fontsize=6, alpha=0.8)
    best = result.best
    ax.scatter(
        [best.latency_p50_ms],
        [best.metrics.get(result.metric, 0.0)],
        s=180,
        facecolors="none",
        edgecolors="k",
        label=f"best: {best.label}",
    )
    ax.set_xlabel("median query latency (ms, embed + search)")
    ax.set_ylabel(result.metric)
    ax.set_title(f"sweep on {result.eval_set}: quality against latency")
    ax.legend(fontsize=7)
    return fig


def sweep(
    manager: IndexManager,
    base: IndexSpec,
    config: SweepConfig,
    eval_set: EvalSet,
    *,
    progress: Progress = no_progress,
    log_to_mlflow: bool = True,
) -> SweepResult:
    """Build and evaluate every point of ``config`` on ``eval_set``; returns the points and the best.

    ``progress`` gets ``("point", done, total)`` per point and the build's and evaluation's own
    stages in between. Raises InvalidInput (bad spec or config), NotFound, BackendUnavailable.
    """
    specs = config.specs(base)
    points: list[SweepPoint] = []
    total = len(specs)
    warmed: set[tuple[str, str]] = set()

    def inner(stage: str, done: int, total: int) -> None:
        if stage in _SHOWN_STAGES:  # not every point's load/write/log steps
            progress(stage, done, total)

    progress("point", 0, total)
    for done, spec in enumerate(specs, 1):
        started = time.perf_counter()
        built = manager.build(spec, inner)
        built_s = time.perf_counter() - started
        key = (spec.embedding.provider, spec.embedding.model)
        if key not in warmed:  # loading the model is not query latency
            manager.embedder_for(spec.embedding).embed_query("warm up")
            warmed.add(key)
        report = evaluate(
            manager,
            built.version.version,
            eval_set,
            top_k=config.top_k,
            progress=inner,
            log_to_mlflow=log_to_mlflow,
        )
        latencies = [float(r["retrieval_ms"]) for r in report.rows]
        points.append(
            SweepPoint(
                spec=spec,
                version=built.version.version,
                metrics=report.metrics,
                eval_run_id=report.run_id,
                latency_p50_ms=_percentile(latencies, 0.5),
                latency_p95_ms=_percentile(latencies, 0.95),
                built_s=built_s,
            )
        )
        log.info(
            "sweep point %d/%d %s: %s=%.4f",
            done,
            total,
            describe(spec),
            config.metric,
            report.metrics.get(config.metric, float("nan")),
        )
        progress("point", done, total)
    if config.metric not in points[0].metrics:
        raise InvalidInput(
            f"metric {config.metric!r} is not computed; choose one of {', '.join(sorted(points[0].metrics))}",
            field="metric",
            value=config.metric,
        )
    result = SweepResult(points, config.metric, eval_set.name)
    if log_to_mlflow:
        _log_sweep(manager, result, config)
    return result


def _log_sweep(manager: IndexManager, result: SweepResult, config: SweepConfig) -> None:
    """One ``kind=sweep`` run: the points table, the trade-off chart, the best point's metrics;
    every evaluation run gets a ``sweep_run_id`` tag. A failure here never loses the points."""
    registry = manager.registry
    best = result.best
    params = {
        "metric": config.metric,
        "top_k": config.top_k,
        "points": len(result.points),
        "best_version": best.version,
        "best_point": best.label,
    }
    tags = {"eval_set": result.eval_set, "best_version": best.version}
    try:
        with registry.run("sweep", f"sweep-{result.eval_set}-{len(result.points)}pts", tags) as run:
            run.log_params(params)
            run.log_metrics({f"best_{k}": float(v) for k, v in best.metrics.items()})
            run.log_series(config.metric, [float(p.metrics.get(config.metric, 0.0)) for p in result.points])
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp)
                table = result.table()
                (out / "sweep.json").write_text(table.to_json(orient="records", indent=1))
                (out / "specs.json").write_text(
                    json.dumps({p.version: p.spec.model_dump(mode="json") for p in result.points}, indent=1)
                )
                chart = out / "tradeoff.png"
                plot_tradeoff(result).savefig(chart, dpi=110)
                run.log_artifact(out / "sweep.json", "tables")
                run.log_artifact(out / "specs.json", "tables")
                run.log_artifact(chart, "charts")
                run.log_table(table.to_dict(orient="records"), "sweep_table.json")
            for p in result.points:
                if p.eval_run_id:
                    registry.set_run_tag(p.eval_run_id, "sweep_run_id", run.run_id)
        result.run_id = run.run_id
    except Exception:
        log.warning("could not log the sweep run", exc_info=True)
