"""A workflow worker killed with SIGKILL mid-run: the run is retried by another worker and
completes (never left ``running``), or, once out of attempts, is marked failed with the reason.

Real processes (``ragplatform worker``) on a scratch database of the PostgreSQL server, as a
production deployment runs them; skipped with the reason where no server answers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pg_server_support import scratch_database
from ragplatform.content.base import User
from ragplatform.factory import Platform, build_platform
from settings_support import DATASETS, make_settings, scratch_dir

TIMING = {"heartbeat_s": 1.0, "stalled_after_s": 4.0, "recover_every_s": 1.0, "max_attempts": 2}


@pytest.fixture(scope="module")
def deployment() -> Iterator[tuple[Platform, dict[str, str]]]:
    """A platform on a fresh server database (no worker of its own) and the environment that
    starts workers on the same data."""
    with scratch_database("ragworker") as url:
        data_dir = scratch_dir("ragworker")
        settings = make_settings(data_dir, database_url=url, workflows={**TIMING, "worker": "none"})
        platform = build_platform(settings)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WORKFLOWS__", "LLM__", "SERVE__"))}
        env.update(
            DATA_DIR=str(data_dir), DATASETS_DIR=str(DATASETS), DATABASE_URL=url, LLM__PROVIDERS="extractive",
            **{f"WORKFLOWS__{k.upper()}": str(v) for k, v in TIMING.items()},
        )  # fmt: skip
        for key in ("MONGODB_URI", "WEAVIATE_URL", "MLFLOW_TRACKING_URI", "REDIS_URL"):
            env.pop(key, None)
        try:
            yield platform, env
        finally:
            platform.close()


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ragplatform.cli", "worker", "--name", log.stem],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def admin(platform: Platform) -> User:
    return platform.content.create_user(f"admin-{time.monotonic_ns()}", None, role="admin")


def wait_for(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_a_killed_worker_leaves_a_run_that_another_worker_retries_to_completion(
    deployment: tuple[Platform, dict[str, str]], tmp_path: Path
) -> None:
    platform, env = deployment
    run = platform.workflows.start("rebuild_index", {}, admin(platform), run_async=True)
    assert run.status == "queued" and run.job_id is not None
    first = start_worker(env, tmp_path / "worker-1.log")
    try:

        def building() -> bool:
            now = platform.workflows.runs.get(run.id)
            return now.status == "running" and now.step == "build" and now.steps[0].progress > 0

        wait_for(building, 180, "the first worker to be building")
    finally:
        stop(first, signal.SIGKILL)
    killed_at = time.monotonic()
    assert platform.workflows.runs.get(run.id).status == "running"  # what the dead worker left
    second = start_worker(env, tmp_path / "worker-2.log")
    try:
        wait_for(lambda: platform.workflows.runs.get(run.id).attempts == 2, 90, "the run to be retried")
        recovered_after = time.monotonic() - killed_at
        wait_for(lambda: platform.workflows.runs.get(run.id).finished, 300, "the retried run to finish")
    finally:
        stop(second)
    final = platform.workflows.runs.get(run.id)
    assert final.status == "completed", (final.error, (tmp_path / "worker-2.log").read_text()[-2000:])
    assert final.outputs and final.outputs["promoted"] is True
    assert recovered_after < 60  # bounded: stalled_after_s + recover_every_s + a worker's start-up
    assert platform.indexes.production() is not None


def test_a_run_out_of_attempts_is_failed_with_the_reason_and_its_user_told(
    deployment: tuple[Platform, dict[str, str]],
) -> None:
    platform, _ = deployment
    user = admin(platform)
    run = platform.workflows.runs.create("evaluate_index", user.id, {}, ("evaluate",))
    platform.workflows.runs.start(run.id)  # a worker took it, attempt 1 of 1 ...
    assert platform.workflows.worker_lost(run.id, max_attempts=1) is False  # ... and died
    failed = platform.workflows.runs.get(run.id)
    assert failed.status == "failed" and "worker running it stopped" in (failed.error or "")
    notes = platform.notifications.list(user.id)
    assert any(n.notification_type == "workflow_failed" and n.metadata["workflow_run_id"] == run.id
               for n in notes)  # fmt: skip
    # with attempts left, it goes back to the queue instead
    again = platform.workflows.runs.create("evaluate_index", user.id, {}, ("evaluate",))
    platform.workflows.runs.start(again.id)
    assert platform.workflows.worker_lost(again.id, max_attempts=2) is True
    assert platform.workflows.runs.get(again.id).status == "queued"
