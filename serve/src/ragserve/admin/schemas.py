"""Schemas and OpenAPI fragments the admin routes share (the console's own API; no API document)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ragplatform.factory import Platform
from ragplatform.registry.base import IndexVersion

ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or invalid token: sign in with POST /api/login"},
    403: {"description": "the token's user is not an admin"},
}


def mlflow_links(platform: Platform, v: IndexVersion) -> dict[str, str | None]:
    """Where a person sees the version's build run and registry entry in the MLflow UI."""
    ui = platform.settings.console.mlflow_ui_url.rstrip("/")
    registry = platform.registry
    run = f"{ui}/#/experiments/{registry.experiment_id}/runs/{v.run_id}" if v.run_id else None
    return {
        "mlflow_run_url": run,
        "mlflow_version_url": f"{ui}/#/models/{quote(registry.model_name)}/versions/{v.version}",
    }
