"""Schemas and OpenAPI fragments of the admin routes (the console's own API; no API document).

What the admin routes answer with are the models of ``ragplatform.client.models``, re-exported
here, so the Python client the console uses and the server cannot drift apart. The request bodies
are defined here. Names follow the full-stack FastAPI template (``XCreate``, ``XPublic``,
``XsPublic``); ``Admin…`` marks the admins' view of a thing API 03/04 also serve (a session with
its owner and unanswered count, any user's document).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, Field

from ragplatform.client.models import (
    AdminDocumentPublic,
    AdminSessionPublic,
    AdminSessionsPublic,
    BuildJobPublic,
    CitationPublic,
    DailyMetricsPublic,
    EngineStatusPublic,
    FusionName,
    IndexVersionPublic,
    OverviewPublic,
    PlaygroundChunkPublic,
    PlaygroundPublic,
    PlaygroundTimingsPublic,
    PromotionPublic,
    SearchModeName,
    ServingIndexPublic,
    TopQuestionPublic,
    TranscriptMessagePublic,
    TranscriptPublic,
    UnansweredQuestionPublic,
    UnansweredQuestionsPublic,
)
from ragplatform.content.base import MAX_LONG, MAX_SHORT
from ragplatform.factory import Platform
from ragplatform.registry.base import IndexVersion, PromotionResult
from ragplatform.spec import IndexSpec
from ragplatform.vectorindex.base import MAX_TOP_K
from ragserve.params import Question

__all__ = [
    "ADMIN_ERRORS",
    "AdminDocumentPublic",
    "AdminSessionPublic",
    "AdminSessionsPublic",
    "BuildCreate",
    "BuildJobPublic",
    "CitationPublic",
    "DailyMetricsPublic",
    "EngineStatusPublic",
    "IndexVersionPublic",
    "IndexVersionsPublic",
    "OverviewPublic",
    "PlaygroundChunkPublic",
    "PlaygroundPublic",
    "PlaygroundRequest",
    "PlaygroundTimingsPublic",
    "PromoteRequest",
    "PromotionPublic",
    "ResolveRequest",
    "ServingIndexPublic",
    "TopQuestionPublic",
    "TranscriptMessagePublic",
    "TranscriptPublic",
    "UnansweredQuestionPublic",
    "UnansweredQuestionsPublic",
    "index_version_public",
    "mlflow_links",
    "promotion_public",
]

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


# -- indexes ------------------------------------------------------------------------------


class IndexVersionsPublic(BaseModel):
    versions: list[IndexVersionPublic]
    production: str | None


class PromoteRequest(BaseModel):
    force: bool = Field(default=False, description="promote even when the gate refuses (recorded as forced)")
    reason: str = Field(default="", max_length=500)


class BuildCreate(BaseModel):
    spec: IndexSpec | None = Field(
        default=None, description="IndexSpec; default: production's spec (or the demo spec)"
    )
    promote: bool = Field(default=False, description="promote the new version when the build succeeds")


def index_version_public(v: IndexVersion, platform: Platform | None = None) -> IndexVersionPublic:
    links = mlflow_links(platform, v) if platform is not None else {}
    return IndexVersionPublic(
        **links,
        version=v.version,
        name=v.spec.name,
        collection=v.collection,
        aliases=list(v.aliases),
        created_at=v.created_at,
        run_id=v.run_id,
        metrics=dict(v.metrics),
        spec=v.spec.model_dump(mode="json"),
        promotion={k.removeprefix("promotion."): t for k, t in v.tags.items() if k.startswith("promotion.")},
        evaluations={k: t for k, t in v.tags.items() if k.startswith("eval.")},
    )


def promotion_public(r: PromotionResult) -> PromotionPublic:
    return PromotionPublic(
        version=r.version, previous=r.previous, forced=r.forced, verdict=r.verdict, reason=r.reason
    )


# -- sessions -----------------------------------------------------------------------------


class ResolveRequest(BaseModel):
    answer: str = Field(
        min_length=1, max_length=MAX_LONG, description="the right answer, as the FAQ will give it"
    )
    question: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_SHORT,
        description="the FAQ item's question; default: the question as the user asked it",
    )


# -- playground ---------------------------------------------------------------------------


class PlaygroundRequest(BaseModel):
    question: Question
    mode: SearchModeName | None = Field(default=None, description="default: the serving index's mode")
    top_k: int | None = Field(
        default=None,
        ge=1,
        le=MAX_TOP_K,
        description=f"chunks to retrieve, 1..{MAX_TOP_K} (default ANSWER__TOP_K)",
    )
    alpha: float | None = Field(
        default=None, ge=0.0, le=1.0, description="weight of dense vs keyword scores with fusion=alpha"
    )
    fusion: FusionName | None = Field(
        default=None, description="how hybrid mode fuses dense and keyword hits"
    )
    distance_threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=2.0,
        description="largest cosine distance a chunk may have to count as relevant "
        "(default ANSWER__RELEVANCE_MAX_DISTANCE)",
    )
