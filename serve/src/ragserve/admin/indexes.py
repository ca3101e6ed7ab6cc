"""Index versions for admins (the console and scripts): list, inspect, build, promote, roll back.

None of the five API documents covers the index lifecycle; these routes exist so
the console can run it through the API (design: "an admin role guards ... index
promotion"). Builds take a while, so ``POST /builds`` starts a background job and
answers 202 with its id; ``GET /builds/{job_id}`` shows its stage and progress and ``GET /builds``
lists the jobs of every replica (``ragplatform.indexing.jobs``: the jobs live in PostgreSQL).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ragplatform.errors import NotFound
from ragplatform.indexing.jobs import BuildJob
from ragplatform.spec import IndexSpec
from ragserve.admin.schemas import (
    BuildCreate,
    BuildJobPublic,
    IndexVersionPublic,
    IndexVersionsPublic,
    PromoteRequest,
    PromotionPublic,
    index_version_public,
    promotion_public,
)
from ragserve.auth import AdminUser
from ragserve.deps import PlatformDep

router = APIRouter(prefix="/api/admin/indexes", tags=["admin: indexes"])


@router.get("", response_model=IndexVersionsPublic, summary="Every index version, newest first")
def list_versions(platform: PlatformDep, _: AdminUser) -> IndexVersionsPublic:
    versions = platform.indexes.versions()
    production = next((v.version for v in versions if v.is_production), None)
    return IndexVersionsPublic(
        versions=[index_version_public(v, platform) for v in versions], production=production
    )


@router.get(
    "/builds", response_model=list[BuildJobPublic], summary="Build jobs of every replica, newest first"
)
def list_builds(
    platform: PlatformDep,
    _: AdminUser,
    limit: Annotated[int, Query(ge=1, le=1000, description="jobs to return, 1..1000")] = 50,
) -> list[BuildJobPublic]:
    return [build_job_public(job) for job in platform.build_jobs.list(limit)]


@router.get("/{version}", response_model=IndexVersionPublic, summary="One index version")
def get_version(version: str, platform: PlatformDep, _: AdminUser) -> IndexVersionPublic:
    return index_version_public(platform.registry.get_version(version), platform)


@router.post(
    "/{version}/promote",
    response_model=PromotionPublic,
    summary="Move production to this version through the promotion gate (409 when refused)",
)
def promote(version: str, body: PromoteRequest, platform: PlatformDep, admin: AdminUser) -> PromotionPublic:
    reason = body.reason or f"promoted by {admin.username} through the API"
    return promotion_public(platform.indexes.promote(version, force=body.force, reason=reason))


@router.post(
    "/rollback", response_model=PromotionPublic, summary="Move production back to the previous version"
)
def rollback(platform: PlatformDep, _: AdminUser) -> PromotionPublic:
    return promotion_public(platform.indexes.rollback())


def build_job_public(job: BuildJob) -> BuildJobPublic:
    return BuildJobPublic(
        job_id=job.job_id,
        status=job.status,
        stage=job.stage,
        done=job.done,
        total=job.total,
        version=job.version,
        promoted=job.promoted,
        error=job.error,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


@router.post(
    "/builds",
    response_model=BuildJobPublic,
    status_code=202,
    summary="Start building an index version in the background (e.g. from the current content)",
    description=(
        "Answers at once with the job; the build runs in this replica. The job lives in PostgreSQL, so "
        "every replica lists and follows it; a job whose process died is shown `failed`."
    ),
)
def start_build(body: BuildCreate, platform: PlatformDep, admin: AdminUser) -> BuildJobPublic:
    spec = body.spec
    if spec is None:
        current = platform.indexes.production()
        spec = current.spec if current is not None else IndexSpec()
    return build_job_public(platform.build_jobs.start(spec, admin.username, promote=body.promote))


@router.get("/builds/{job_id}", response_model=BuildJobPublic, summary="A build job's status and progress")
def get_build(job_id: str, platform: PlatformDep, _: AdminUser) -> BuildJobPublic:
    try:
        return build_job_public(platform.build_jobs.get(job_id))
    except NotFound:
        raise NotFound("Build job not found") from None
