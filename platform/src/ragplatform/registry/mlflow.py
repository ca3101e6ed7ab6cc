"""IndexRegistry on MLflow: a run per build, a version of the registered model per index,
the ``production`` alias for serving, and a promotion history for rollback.

Uses ``MlflowClient`` with explicit URIs (no fluent global state), so several
registries (tests, server, notebook) live in one process without interfering.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ragplatform.errors import BackendUnavailable, NotFound
from ragplatform.registry.base import PRODUCTION, IndexVersion, PromotionResult
from ragplatform.spec import IndexSpec

log = logging.getLogger(__name__)

HISTORY_TAG = "production_history"  # JSON list of versions that held the alias, oldest first


def _mlflow_client(tracking_uri: str) -> Any:
    try:
        from mlflow import MlflowClient
    except ImportError as exc:  # pragma: no cover - mlflow is a core dependency
        raise BackendUnavailable("mlflow is not installed: pip install mlflow") from exc
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


class MlflowBuildRun:
    def __init__(self, registry: MlflowIndexRegistry, run_id: str, spec: IndexSpec) -> None:
        self._registry = registry
        self.run_id = run_id
        self._spec = spec

    def log_metrics(self, metrics: Mapping[str, float]) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        batch = [Metric(key, float(value), now, 0) for key, value in metrics.items()]
        self._registry.client.log_batch(self.run_id, metrics=batch)

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        self._registry.client.log_artifact(self.run_id, str(path), artifact_path)

    def register(self, collection: str, tags: Mapping[str, str] | None = None) -> IndexVersion:
        client = self._registry.client
        run = client.get_run(self.run_id)
        all_tags = {
            "collection": collection,
            "spec": self._spec.canonical_json(),
            "data_key": self._spec.data_key(),
            "spec_name": self._spec.name,
            **(tags or {}),
        }
        mv = client.create_model_version(
            self._registry.model_name,
            source=f"{run.info.artifact_uri}/manifest.json",
            run_id=self.run_id,
            tags=all_tags,
            description=f"Index '{self._spec.name}' over collection {collection}",
        )
        return self._registry.get_version(str(mv.version))


class MlflowIndexRegistry:
    """Registered model ``model_name`` in the MLflow store at ``tracking_uri``.

    ``artifact_root`` is where a new experiment keeps its artifacts (a local
    folder for the embedded sqlite store; ignored when the experiment exists).
    """

    def __init__(
        self,
        tracking_uri: str,
        experiment: str = "rag-index",
        model_name: str = "rag-index",
        artifact_root: Path | None = None,
    ) -> None:
        self.tracking_uri = tracking_uri
        self.model_name = model_name
        self.experiment_name = experiment
        self.client = _mlflow_client(tracking_uri)
        self.experiment_id = self._ensure_experiment(experiment, artifact_root)
        self._ensure_model()

    def _ensure_experiment(self, name: str, artifact_root: Path | None) -> str:
        exp = self.client.get_experiment_by_name(name)
        if exp is not None:
            return str(exp.experiment_id)
        location = (artifact_root / name).resolve().as_uri() if artifact_root else None
        try:
            return str(self.client.create_experiment(name, artifact_location=location))
        except Exception:  # another process created it first
            exp = self.client.get_experiment_by_name(name)
            if exp is None:
                raise
            return str(exp.experiment_id)

    def _ensure_model(self) -> None:
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(self.model_name)
        except MlflowException:
            try:
                self.client.create_registered_model(
                    self.model_name, description="Retrieval index versions built by ragplatform"
                )
            except MlflowException:  # created concurrently
                self.client.get_registered_model(self.model_name)

    # -- builds ---------------------------------------------------------------

    @contextmanager
    def build_run(self, spec: IndexSpec) -> Iterator[MlflowBuildRun]:
        run = self.client.create_run(
            self.experiment_id,
            run_name=f"build-{spec.name}",
            tags={"kind": "build", "spec_fingerprint": spec.fingerprint(), "data_key": spec.data_key()},
        )
        run_id = run.info.run_id
        from mlflow.entities import Param

        params = [Param(k, str(v)) for k, v in spec.flat_params().items()]
        self.client.log_batch(run_id, params=params)
        try:
            yield MlflowBuildRun(self, run_id, spec)
        except BaseException:
            self.client.set_terminated(run_id, "FAILED")
            raise
        self.client.set_terminated(run_id, "FINISHED")

    # -- versions -------------------------------------------------------------

    def _to_version(
        self, mv: Any, aliases: Mapping[str, str], known: Mapping[str, dict[str, float]] | None = None
    ) -> IndexVersion:
        version = str(mv.version)
        metrics: dict[str, float] = {}
        if known is not None and mv.run_id in known:
            metrics = known[mv.run_id]
        elif mv.run_id:
            try:
                metrics = dict(self.client.get_run(mv.run_id).data.metrics)
            except Exception:  # run deleted: the version stays usable
                metrics = {}
        return IndexVersion(
            version=version,
            run_id=mv.run_id or "",
            collection=mv.tags.get("collection", ""),
            spec=IndexSpec.model_validate_json(mv.tags["spec"]),
            created_at=datetime.fromtimestamp(mv.creation_timestamp / 1000, tz=UTC),
            metrics=metrics,
            aliases=tuple(sorted(a for a, v in aliases.items() if str(v) == version)),
            tags=dict(mv.tags),
        )

    def _aliases(self) -> dict[str, str]:
        model = self.client.get_registered_model(self.model_name)
        return {alias: str(v) for alias, v in (model.aliases or {}).items()}

    def get_version(self, version: str) -> IndexVersion:
        from mlflow.exceptions import MlflowException

        try:
            mv = self.client.get_model_version(self.model_name, str(version))
        except MlflowException as exc:
            raise NotFound(f"index version {version} not found") from exc
        return self._to_version(mv, self._aliases())

    def list_versions(self) -> list[IndexVersion]:
        aliases = self._aliases()
        mvs = self.client.search_model_versions(f"name='{self.model_name}'")
        # One query for every build run's metrics instead of one get_run per version.
        runs = self.client.search_runs(
            [self.experiment_id], filter_string="tags.kind = 'build'", max_results=5000
        )
        known = {r.info.run_id: dict(r.data.metrics) for r in runs}
        versions = [self._to_version(mv, aliases, known) for mv in mvs if "spec" in mv.tags]
        return sorted(versions, key=lambda v: int(v.version), reverse=True)

    def resolve(self, alias: str = PRODUCTION) -> IndexVersion | None:
        version = self._aliases().get(alias)
        return None if version is None else self.get_version(version)

    def health(self) -> dict[str, Any]:
        """One cheap query (the registered model and its aliases); raises when the store is unreachable."""
        model = self.client.get_registered_model(self.model_name)
        return {"version": self.tracking_uri.split(":")[0], "aliases": dict(model.aliases or {})}

    # -- promotion ------------------------------------------------------------

    def _history(self) -> list[str]:
        model = self.client.get_registered_model(self.model_name)
        raw = (model.tags or {}).get(HISTORY_TAG, "[]")
        return [str(v) for v in json.loads(raw)]

    def _record(self, version: str, verdict: str, reason: str, forced: bool) -> None:
        stamp = datetime.now(UTC).isoformat()
        for key, value in {
            "promotion.verdict": verdict,
            "promotion.reason": reason or "-",
            "promotion.forced": str(forced).lower(),
            "promotion.at": stamp,
        }.items():
            self.client.set_model_version_tag(self.model_name, version, key, value)

    def promote(self, version: str, *, forced: bool = False, reason: str = "") -> PromotionResult:
        target = self.get_version(version)  # NotFound before anything moves
        current = self._aliases().get(PRODUCTION)
        self.client.set_registered_model_alias(self.model_name, PRODUCTION, target.version)
        history = self._history()
        if not history or history[-1] != target.version:
            history.append(target.version)
            self.client.set_registered_model_tag(self.model_name, HISTORY_TAG, json.dumps(history[-50:]))
        verdict = "forced" if forced else "promoted"
        self._record(target.version, verdict, reason, forced)
        log.info("production: %s -> %s (%s)", current, target.version, verdict)
        return PromotionResult(target.version, current, forced, verdict, reason)

    def record_refusal(self, version: str, reason: str) -> PromotionResult:
        self._record(version, "refused", reason, False)
        return PromotionResult(version, self._aliases().get(PRODUCTION), False, "refused", reason)

    def rollback(self) -> PromotionResult:
        history = self._history()
        current = self._aliases().get(PRODUCTION)
        if current is None or len(history) < 2:
            raise NotFound("no earlier production version to roll back to")
        history.pop()
        previous = history[-1]
        self.client.set_registered_model_alias(self.model_name, PRODUCTION, previous)
        self.client.set_registered_model_tag(self.model_name, HISTORY_TAG, json.dumps(history))
        self._record(previous, "rolled_back", f"rollback from version {current}", False)
        log.info("production rolled back: %s -> %s", current, previous)
        return PromotionResult(previous, current, False, "rolled_back", f"rollback from version {current}")

    # -- evaluations ----------------------------------------------------------

    def log_evaluation(
        self, version: str, eval_name: str, metrics: Mapping[str, float], artifacts: Mapping[str, Path] = {}
    ) -> str:
        """An evaluation run linked to the version (tag ``index_version``); returns its run id."""
        from mlflow.entities import Metric

        target = self.get_version(version)
        run = self.client.create_run(
            self.experiment_id,
            run_name=f"eval-v{version}-{eval_name}",
            tags={
                "kind": "evaluation",
                "index_version": version,
                "eval_set": eval_name,
                "mlflow.parentRunId": target.run_id,
            },
        )
        now = int(time.time() * 1000)
        self.client.log_batch(
            run.info.run_id, metrics=[Metric(k, float(v), now, 0) for k, v in metrics.items()]
        )
        for name, path in artifacts.items():
            self.client.log_artifact(run.info.run_id, str(path), name)
        self.client.set_terminated(run.info.run_id, "FINISHED")
        for key, value in metrics.items():
            self.client.set_model_version_tag(
                self.model_name, version, f"eval.{eval_name}.{key}", f"{value:.6g}"
            )
        return str(run.info.run_id)
