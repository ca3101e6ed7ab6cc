"""Index versions for admins (the console and scripts): list, inspect, build, promote, roll back.

None of the five API documents covers the index lifecycle; these routes exist so
the console can run it through the API (design: "an admin role guards ... index
promotion"). Builds take a while, so ``POST /builds`` starts a background job and
answers 202 with its id; ``GET /builds/{job_id}`` shows its stage and progress.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ragplatform.errors import NotFound, RagPlatformError
from ragplatform.factory import Platform
from ragplatform.registry.base import IndexVersion, PromotionResult
from ragplatform.spec import IndexSpec
from ragserve.admin.schemas import mlflow_links
from ragserve.auth import AdminUser
from ragserve.deps import PlatformDep

router = APIRouter(prefix="/api/admin/indexes", tags=["admin: indexes"])

MAX_JOBS_KEPT = 50


class IndexVersionPublic(BaseModel):
    version: str
    name: str
    collection: str
    aliases: list[str]
    created_at: datetime
    run_id: str
    metrics: dict[str, float]
    spec: dict[str, Any]
    promotion: dict[str, str] = Field(description="the last gate verdict recorded on this version, if any")
    evaluations: dict[str, str] = Field(
        description="recorded evaluation metrics, eval.<set>.<metric> → value"
    )
    mlflow_run_url: str | None = Field(
        default=None, description="the build run in the MLflow UI (CONSOLE__MLFLOW_UI_URL)"
    )
    mlflow_version_url: str | None = Field(
        default=None, description="this version of the registered model in the MLflow UI"
    )

    @classmethod
    def of(cls, v: IndexVersion, platform: Platform | None = None) -> IndexVersionPublic:
        links = mlflow_links(platform, v) if platform is not None else {}
        return cls(
            **links,
            version=v.version,
            name=v.spec.name,
            collection=v.collection,
            aliases=list(v.aliases),
            created_at=v.created_at,
            run_id=v.run_id,
            metrics=dict(v.metrics),
            spec=v.spec.model_dump(mode="json"),
            promotion={
                k.removeprefix("promotion."): t for k, t in v.tags.items() if k.startswith("promotion.")
            },
            evaluations={k: t for k, t in v.tags.items() if k.startswith("eval.")},
        )


class IndexVersionsPublic(BaseModel):
    versions: list[IndexVersionPublic]
    production: str | None


class PromoteRequest(BaseModel):
    force: bool = Field(default=False, description="promote even when the gate refuses (recorded as forced)")
    reason: str = Field(default="", max_length=500)


class PromotionPublic(BaseModel):
    version: str
    previous: str | None
    forced: bool
    verdict: str
    reason: str

    @classmethod
    def of(cls, r: PromotionResult) -> PromotionPublic:
        return cls(
            version=r.version, previous=r.previous, forced=r.forced, verdict=r.verdict, reason=r.reason
        )


class BuildRequest(BaseModel):
    spec: IndexSpec | None = Field(
        default=None, description="IndexSpec; default: production's spec (or the demo spec)"
    )
    promote: bool = Field(default=False, description="promote the new version when the build succeeds")


class BuildJob(BaseModel):
    job_id: str
    status: Literal["queued", "running", "succeeded", "failed"]
    stage: str = ""
    done: int = 0
    total: int = 0
    version: str | None = None
    promoted: bool = False
    error: str | None = None
    started_at: datetime
    finished_at: datetime | None = None


def _jobs(request: Request) -> dict[str, BuildJob]:
    jobs: dict[str, BuildJob] | None = getattr(request.app.state, "build_jobs", None)
    if jobs is None:
        jobs = request.app.state.build_jobs = {}
    return jobs


@router.get("", response_model=IndexVersionsPublic, summary="Every index version, newest first")
def list_versions(platform: PlatformDep, _: AdminUser) -> IndexVersionsPublic:
    versions = platform.indexes.versions()
    production = next((v.version for v in versions if v.is_production), None)
    return IndexVersionsPublic(
        versions=[IndexVersionPublic.of(v, platform) for v in versions], production=production
    )


@router.get("/{version}", response_model=IndexVersionPublic, summary="One index version")
def get_version(version: str, platform: PlatformDep, _: AdminUser) -> IndexVersionPublic:
    return IndexVersionPublic.of(platform.registry.get_version(version), platform)


@router.post(
    "/{version}/promote",
    response_model=PromotionPublic,
    summary="Move production to this version through the promotion gate (409 when refused)",
)
def promote(version: str, body: PromoteRequest, platform: PlatformDep, admin: AdminUser) -> PromotionPublic:
    reason = body.reason or f"promoted by {admin.username} through the API"
    return PromotionPublic.of(platform.indexes.promote(version, force=body.force, reason=reason))


@router.post(
    "/rollback", response_model=PromotionPublic, summary="Move production back to the previous version"
)
def rollback(platform: PlatformDep, _: AdminUser) -> PromotionPublic:
    return PromotionPublic.of(platform.indexes.rollback())


def _run_build(platform: Platform, job: BuildJob, spec: IndexSpec, promote: bool) -> None:
    def progress(stage: str, done: int, total: int) -> None:
        job.stage, job.done, job.total = stage, done, total

    job.status = "running"
    try:
        result = platform.indexes.build(spec, progress)
        job.version = result.version.version
        if promote:
            platform.indexes.promote(result.version.version, reason="build job with promote=true")
            job.promoted = True
        job.status = "succeeded"
    except RagPlatformError as exc:
        job.status, job.error = "failed", exc.message
    except Exception as exc:  # a build bug must show in the job, not vanish in a thread
        job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
    finally:
        job.finished_at = datetime.now(UTC)


@router.post(
    "/builds",
    response_model=BuildJob,
    status_code=202,
    summary="Start building an index version in the background (e.g. from the current content)",
)
def start_build(body: BuildRequest, request: Request, platform: PlatformDep, _: AdminUser) -> BuildJob:
    spec = body.spec
    if spec is None:
        current = platform.indexes.production()
        spec = current.spec if current is not None else IndexSpec()
    job = BuildJob(job_id=str(uuid.uuid4()), status="queued", started_at=datetime.now(UTC))
    jobs = _jobs(request)
    jobs[job.job_id] = job
    for old in sorted(jobs.values(), key=lambda j: j.started_at)[:-MAX_JOBS_KEPT]:
        jobs.pop(old.job_id, None)
    threading.Thread(
        target=_run_build,
        args=(platform, job, spec, body.promote),
        daemon=True,
        name=f"build-{job.job_id[:8]}",
    ).start()
    return job


@router.get("/builds/{job_id}", response_model=BuildJob, summary="A build job's status and progress")
def get_build(job_id: str, request: Request, _: AdminUser) -> BuildJob:
    job = _jobs(request).get(job_id)
    if job is None:
        raise NotFound("Build job not found")
    return job
