"""Admin index lifecycle over the API: list, build in the background, promote, roll back."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from ragplatform.factory import Platform


@pytest.fixture(scope="module")
def admin(platform: Platform) -> dict[str, str]:
    from ragserve.auth import create_token, ensure_admin

    token, _ = create_token(platform, ensure_admin(platform))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def user(platform: Platform) -> dict[str, str]:
    from ragplatform.errors import NotFound
    from ragserve.auth import create_token, hash_password

    try:
        u = platform.content.get_user_by_username("plain@example.com")
    except NotFound:
        u = platform.content.create_user("plain@example.com", hash_password("plain-password"))
    token, _ = create_token(platform, u)
    return {"Authorization": f"Bearer {token}"}


def test_only_admins_see_the_index_lifecycle(client: httpx.Client, user: dict[str, str]) -> None:
    assert client.get("/api/admin/indexes").status_code == 401
    r = client.get("/api/admin/indexes", headers=user)
    assert r.status_code == 403 and "admin" in r.json()["detail"]
    assert client.post("/api/admin/indexes/rollback", headers=user).status_code == 403


def test_versions_list_shows_production_with_spec_and_metrics(
    client: httpx.Client, admin: dict[str, str], platform: Platform
) -> None:
    body = client.get("/api/admin/indexes", headers=admin).json()
    production = platform.indexes.production()
    assert production is not None and body["production"] == production.version
    current = next(v for v in body["versions"] if v["version"] == production.version)
    assert "production" in current["aliases"]
    assert current["metrics"]["chunks"] > 0
    assert current["spec"]["chunking"]["strategy"] == "sentence"
    assert client.get("/api/admin/indexes/9999", headers=admin).status_code == 404


def test_build_job_then_promote_and_roll_back(
    client: httpx.Client, admin: dict[str, str], platform: Platform
) -> None:
    before = platform.indexes.production()
    assert before is not None
    spec = before.spec.model_dump(mode="json")
    spec["name"] = "api-build"
    spec["retrieval"]["top_k"] = 6  # retrieval-only change: reuses the collection, quick
    r = client.post("/api/admin/indexes/builds", json={"spec": spec}, headers=admin)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    deadline = time.monotonic() + 180
    while (job := client.get(f"/api/admin/indexes/builds/{job_id}", headers=admin).json())["status"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline, job
        time.sleep(0.3)
    assert job["status"] == "succeeded", job
    new = job["version"]
    try:
        r = client.post(
            f"/api/admin/indexes/{new}/promote", json={"force": True, "reason": "api test"}, headers=admin
        )
        assert r.status_code == 200, r.text
        assert r.json()["version"] == new and r.json()["previous"] == before.version
        production = platform.indexes.production()
        assert production is not None and production.version == new
        r = client.post("/api/admin/indexes/rollback", headers=admin)
        assert r.status_code == 200 and r.json()["version"] == before.version
    finally:
        if (p := platform.indexes.production()) is None or p.version != before.version:
            platform.indexes.promote(before.version, force=True, reason="restore after api test")
    assert client.get("/api/admin/indexes/builds/nope", headers=admin).status_code == 404


def test_a_bad_spec_is_refused_before_any_job_starts(client: httpx.Client, admin: dict[str, str]) -> None:
    r = client.post(
        "/api/admin/indexes/builds",
        json={"spec": {"chunking": {"chunk_size": 64, "chunk_overlap": 64}}},
        headers=admin,
    )
    assert r.status_code == 422
    assert "chunk_overlap" in str(r.json()["detail"])
