"""IndexRegistry on MLflow: a run per build, a version of the registered model per index,
the ``production`` alias for serving, and a promotion history for rollback.

Uses ``MlflowClient`` with explicit URIs (no fluent global state), so several
registries (tests, server, notebook) live in one process without interfering.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ragplatform.errors import BackendUnavailable, NotFound
from ragplatform.registry.base import PRODUCTION, IndexVersion, PromotionResult, RunInfo
from ragplatform.runner import Runner
from ragplatform.spec import IndexSpec

log = logging.getLogger(__name__)

HISTORY_TAG = "production_history"  # JSON list of versions that held the alias, oldest first
FAILURE_TAG = "failure_reason"
_PARAM_CHARS = 500  # MLflow's limit on a parameter value
_BATCH = 900  # MLflow's limit on metrics per log_batch call is 1000


def _mlflow_client(tracking_uri: str) -> Any:
    try:
        from mlflow import MlflowClient
    except ImportError as exc:  # pragma: no cover - mlflow is a core dependency
        raise BackendUnavailable("mlflow is not installed: pip install mlflow") from exc
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def _ms_to_datetime(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


class MlflowRun:
    """An open MLflow run, written through the registry's client."""

    def __init__(self, client: Any, run_id: str) -> None:
        self._client = client
        self.run_id = run_id

    def log_params(self, params: Mapping[str, object]) -> None:
        from mlflow.entities import Param

        batch = [Param(key, str(value)[:_PARAM_CHARS]) for key, value in params.items()]
        for start in range(0, len(batch), 100):  # MLflow's limit on params per call
            self._client.log_batch(self.run_id, params=batch[start : start + 100])

    def log_metrics(self, metrics: Mapping[str, float], step: int = 0) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self._log_metrics([Metric(key, float(value), now, step) for key, value in metrics.items()])

    def log_series(self, key: str, values: Sequence[float]) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self._log_metrics([Metric(key, float(value), now, step) for step, value in enumerate(values)])

    def _log_metrics(self, batch: list[Any]) -> None:
        for start in range(0, len(batch), _BATCH):
            self._client.log_batch(self.run_id, metrics=batch[start : start + _BATCH])

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        self._client.log_artifact(self.run_id, str(path), artifact_path)

    def log_artifacts(self, directory: Path, artifact_path: str | None = None) -> None:
        self._client.log_artifacts(self.run_id, str(directory), artifact_path)

    def log_table(self, rows: Sequence[Mapping[str, Any]], artifact_file: str) -> None:
        import pandas as pd

        self._client.log_table(self.run_id, data=pd.DataFrame(list(rows)), artifact_file=artifact_file)

    def set_tag(self, key: str, value: str) -> None:
        self._client.set_tag(self.run_id, key, value)


class MlflowBuildRun(MlflowRun):
    def __init__(self, registry: MlflowIndexRegistry, run_id: str, spec: IndexSpec) -> None:
        super().__init__(registry.client, run_id)
        self._registry = registry
        self._spec = spec

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
        from mlflow.exceptions import MlflowException

        exp = self.client.get_experiment_by_name(name)
        if exp is not None:
            return str(exp.experiment_id)
        location = (artifact_root / name).resolve().as_uri() if artifact_root else None
        try:
            return str(self.client.create_experiment(name, artifact_location=location))
        except MlflowException:  # another process created it first (else: re-raised below)
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

    # -- runs ---------------------------------------------------------------

    def _create_run(self, kind: str, name: str, tags: Mapping[str, str] | None) -> str:
        """A new RUNNING run stamped with this process as its runner (see ``ragplatform.runner``)."""
        all_tags = {"kind": kind, **Runner.current().tags(), **(tags or {})}
        run = self.client.create_run(self.experiment_id, run_name=name, tags=all_tags)
        return str(run.info.run_id)

    @contextmanager
    def _terminating(self, run_id: str) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.client.set_terminated(run_id, "FAILED")
            raise
        self.client.set_terminated(run_id, "FINISHED")

    @contextmanager
    def build_run(self, spec: IndexSpec, tags: Mapping[str, str] | None = None) -> Iterator[MlflowBuildRun]:
        run_id = self._create_run(
            "build",
            f"build-{spec.name}",
            {"spec_fingerprint": spec.fingerprint(), "data_key": spec.data_key(), **(tags or {})},
        )
        with self._terminating(run_id):
            run = MlflowBuildRun(self, run_id, spec)
            run.log_params(spec.flat_params())
            yield run

    @contextmanager
    def run(self, kind: str, name: str, tags: Mapping[str, str] | None = None) -> Iterator[MlflowRun]:
        run_id = self._create_run(kind, name, tags)
        with self._terminating(run_id):
            yield MlflowRun(self.client, run_id)

    def _to_run(self, run: Any) -> RunInfo:
        info, data = run.info, run.data
        started = _ms_to_datetime(info.start_time) or datetime.fromtimestamp(0, tz=UTC)
        return RunInfo(
            run_id=str(info.run_id),
            name=str(info.run_name or ""),
            kind=str(data.tags.get("kind", "")),
            status=str(info.status),
            experiment_id=str(info.experiment_id),
            started_at=started,
            ended_at=_ms_to_datetime(info.end_time),
            tags={k: v for k, v in data.tags.items() if not k.startswith("mlflow.")},
            params=dict(data.params),
            metrics=dict(data.metrics),
        )

    def get_run(self, run_id: str) -> RunInfo:
        from mlflow.exceptions import MlflowException

        try:
            return self._to_run(self.client.get_run(run_id))
        except MlflowException as exc:
            raise NotFound(f"run {run_id} not found") from exc

    def list_runs(self, kind: str | None = None, status: str | None = None) -> list[RunInfo]:
        clauses = []
        if kind is not None:
            clauses.append(f"tags.kind = '{kind}'")
        if status is not None:
            clauses.append(f"attributes.status = '{status}'")
        runs: list[RunInfo] = []
        token: str | None = None
        while True:
            page = self.client.search_runs(
                [self.experiment_id],
                filter_string=" and ".join(clauses),
                max_results=1000,
                order_by=["attributes.start_time DESC"],
                page_token=token,
            )
            runs.extend(self._to_run(r) for r in page)
            token = page.token
            if not token:
                return runs

    def list_artifacts(self, run_id: str) -> list[str]:
        from mlflow.exceptions import MlflowException

        def walk(path: str | None) -> list[str]:
            out: list[str] = []
            for item in self.client.list_artifacts(run_id, path):
                out.extend(walk(item.path) if item.is_dir else [item.path])
            return out

        try:
            return walk(None)
        except MlflowException as exc:
            raise NotFound(f"run {run_id} not found") from exc

    def read_artifact(self, run_id: str, path: str) -> bytes:
        from mlflow.exceptions import MlflowException

        with tempfile.TemporaryDirectory() as tmp:
            try:
                local = self.client.download_artifacts(run_id, path, tmp)
                return Path(local).read_bytes()
            except (MlflowException, OSError) as exc:
                raise NotFound(f"artifact {path!r} of run {run_id} not found") from exc

    def set_run_tag(self, run_id: str, key: str, value: str) -> None:
        self.client.set_tag(run_id, key, value)

    def fail_run(self, run_id: str, reason: str) -> None:
        self.client.set_tag(run_id, FAILURE_TAG, reason[:_PARAM_CHARS])
        self.client.set_terminated(run_id, "FAILED")

    # -- versions -------------------------------------------------------------

    def _to_version(
        self, mv: Any, aliases: Mapping[str, str], known: Mapping[str, dict[str, float]] | None = None
    ) -> IndexVersion:
        from mlflow.exceptions import MlflowException

        version = str(mv.version)
        metrics: dict[str, float] = {}
        if known is not None and mv.run_id in known:
            metrics = known[mv.run_id]
        elif mv.run_id:
            try:
                metrics = dict(self.client.get_run(mv.run_id).data.metrics)
            except MlflowException:  # run deleted: the version stays usable
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
        self,
        version: str,
        eval_name: str,
        metrics: Mapping[str, float],
        artifacts: Mapping[str, Path] = {},
        *,
        params: Mapping[str, object] | None = None,
        table: Sequence[Mapping[str, Any]] | None = None,
    ) -> str:
        """An evaluation run linked to the version (tag ``index_version``, child of its build run);
        returns its run id. Parameters and the table are extras: failing to log them is a warning,
        never a lost evaluation."""
        target = self.get_version(version)
        tags = {"index_version": version, "eval_set": eval_name, "mlflow.parentRunId": target.run_id}
        with self.run("evaluation", f"eval-v{version}-{eval_name}", tags) as run:
            run.log_metrics(metrics)
            for name, path in artifacts.items():
                run.log_artifact(path, name)
            try:
                if params:
                    run.log_params(params)
                if table is not None:
                    run.log_table(table, "questions_table.json")
            except Exception:  # a deliberate boundary: extras of an evaluation already logged must not
                # fail it (that would mark the run FAILED and skip the version tags below); the
                # traceback goes to the log, where a bug in them still shows
                log.warning("could not log the table or parameters of run %s", run.run_id, exc_info=True)
        for key, value in metrics.items():
            self.client.set_model_version_tag(
                self.model_name, version, f"eval.{eval_name}.{key}", f"{value:.6g}"
            )
        return run.run_id
