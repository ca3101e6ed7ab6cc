"""Builds that died: their runs marked FAILED, the collections they left behind dropped.

A build (or an evaluation, a sweep, a fine-tuning) killed with SIGKILL never closes its run, which
then says RUNNING forever, and a build killed after writing its collection leaves a table that no
version will ever reference. ``reap_dead_builds`` finds both; ``ragplatform up`` and the build
jobs' bookkeeping call it.

A run is dead when the process named by its runner tags (``ragplatform.runner``) is gone from
this host, when it belongs to a build job known to have died, or, for a run from before runner
tags existed, when it has been running for more than a day. A collection is dropped only when all
of this holds: a build made it (``collection_run_prefix``), no registered version references it,
the production alias does not point at it, and the build run it was made by is over (not
running). The live ``user_documents`` collection and anything else not named like a build's
collection are never touched.

Order matters against a build finishing meanwhile: runs are read before versions, and a build
registers its version before its run becomes FINISHED, so a run seen finished has its version
in the list read after it; collections are listed last, so one created meanwhile belongs to a
run seen RUNNING.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ragplatform.errors import NotFound
from ragplatform.indexing.build import collection_run_prefix
from ragplatform.registry.base import PRODUCTION, IndexRegistry, RunInfo
from ragplatform.runner import Runner
from ragplatform.vectorindex.base import VectorIndex

log = logging.getLogger(__name__)

JOB_TAG = "build_job"
"""Run tag naming the build job (``indexing/jobs.py``) that started a build."""
UNTAGGED_STALE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class ReapReport:
    failed_runs: dict[str, str] = field(default_factory=dict)
    """run id → why it was marked FAILED"""
    dropped_collections: list[str] = field(default_factory=list)


def _death(run: RunInfo, dead_jobs: Collection[str], now: datetime) -> str | None:
    """Why ``run`` (RUNNING) is dead, or None when it may still be alive."""
    job = run.tags.get(JOB_TAG)
    if job and job in dead_jobs:
        return f"the build process died: its build job {job} lost its runner"
    runner = Runner.from_tags(run.tags)
    if runner is not None:
        return f"the process running it died ({runner})" if runner.is_dead() else None
    if now - run.started_at > UNTAGGED_STALE_AFTER:
        return "running for over a day with no runner recorded: presumed dead"
    return None


def _same_name(name: str) -> str:
    """Weaviate stores collection names with a capital first letter."""
    return name[:1].lower() + name[1:]


def reap_dead_builds(
    registry: IndexRegistry,
    index: VectorIndex,
    *,
    dead_jobs: Collection[str] = (),
    now: datetime | None = None,
) -> ReapReport:
    """Marks runs whose process died FAILED (with the reason as tag ``failure_reason``) and drops
    the collections of builds that are over and registered nothing. ``dead_jobs`` are ids of
    build jobs known to have died (their runs die with them, whatever host ran them).

    Raises BackendUnavailable when the registry or the engine cannot be reached.
    """
    now = now or datetime.now(UTC)
    report = ReapReport()
    for run in registry.list_runs(status="RUNNING"):
        reason = _death(run, dead_jobs, now)
        if reason is not None:
            registry.fail_run(run.run_id, reason)
            report.failed_runs[run.run_id] = reason
            log.warning("run %s (%s) marked FAILED: %s", run.run_id, run.name, reason)
    builds = {r.run_id: r.status for r in registry.list_runs(kind="build")}
    builds |= dict.fromkeys(report.failed_runs, "FAILED")
    keep = {_same_name(v.collection) for v in registry.list_versions()}
    production = index.resolve_alias(PRODUCTION)
    if production:
        keep.add(_same_name(production))
    for name in index.list_collections():
        prefix = collection_run_prefix(name)
        if prefix is None or _same_name(name) in keep:
            continue
        owners = [status for run_id, status in builds.items() if run_id.startswith(prefix)]
        if not owners or "RUNNING" in owners:
            continue  # a build still writing it, or not a build of this registry
        try:
            index.drop_collection(name)
        except NotFound:
            continue  # dropped meanwhile by another reaper
        report.dropped_collections.append(name)
        log.warning("dropped collection %s, left behind by a build that registered nothing", name)
    return report
