"""What the API client returns: pydantic models of the served API's answers.

The admin routes (``ragserve.admin``) answer with these same models, so the
client and the server cannot drift apart. Content rows (FAQ items, emergency contacts,
events) are the platform's own models from ``ragplatform.content.base``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from ragplatform.content.base import EmergencyContact, Event, EventPrice, FaqItem

__all__ = [
    "AdminDocumentPublic",
    "AdminSessionPublic",
    "AdminSessionsPublic",
    "BuildJob",
    "BuildJobPublic",
    "Citation",
    "CitationPublic",
    "DailyMetrics",
    "DailyMetricsPublic",
    "DocumentInfo",
    "EmergencyContact",
    "EngineStatus",
    "EngineStatusPublic",
    "Event",
    "EventPrice",
    "FaqItem",
    "FusionName",
    "IndexVersionInfo",
    "IndexVersionPublic",
    "Message",
    "Metrics",
    "Overview",
    "OverviewPublic",
    "PlaygroundChunk",
    "PlaygroundChunkPublic",
    "PlaygroundPublic",
    "PlaygroundResult",
    "PlaygroundTimings",
    "PlaygroundTimingsPublic",
    "PromotionOutcome",
    "PromotionPublic",
    "SearchModeName",
    "ServingIndexPublic",
    "ServingIndexSummary",
    "SessionMetrics",
    "SessionPage",
    "SessionSummary",
    "Tokens",
    "TopQuestion",
    "TopQuestionPublic",
    "Transcript",
    "TranscriptMessage",
    "TranscriptMessagePublic",
    "TranscriptPublic",
    "UnansweredItem",
    "UnansweredPage",
    "UnansweredQuestionPublic",
    "UnansweredQuestionsPublic",
    "UploadOutcome",
]

SearchModeName = Literal["dense", "keyword", "hybrid"]
FusionName = Literal["alpha", "rrf"]


class Message(BaseModel):
    """A plain acknowledgement, e.g. ``{"message": "Session deleted successfully"}``."""

    message: str


# -- overview -----------------------------------------------------------------------


class EngineStatusPublic(BaseModel):
    status: Literal["healthy", "unavailable"]
    engine: str = Field(description="which engine plays the role, e.g. 'postgresql (embedded)', 'lancedb'")
    detail: str = Field(default="", description="version when healthy, the error when not")


class ServingIndexPublic(BaseModel):
    version: str
    name: str
    collection: str
    created_at: datetime
    metrics: dict[str, float] = Field(description="build metrics: documents, chunks, seconds, ...")
    evaluations: dict[str, str] = Field(
        description="recorded evaluation metrics, eval.<set>.<metric> → value"
    )
    mlflow_run_url: str | None = Field(default=None, description="the build run in the MLflow UI")


class OverviewPublic(BaseModel):
    status: Literal["healthy", "degraded"]
    engines: dict[str, EngineStatusPublic] = Field(
        description="postgresql, sessions, vector_index, mlflow, generator"
    )
    serving: ServingIndexPublic | None = Field(description="the production index version; null when none")
    day: date = Field(description="the UTC day the *_today figures count")
    questions_today: int
    unanswered_today: int
    unanswered_rate_today: float = Field(description="unanswered / questions, 0 without questions")
    latency_p50_ms_today: float | None
    latency_p95_ms_today: float | None = Field(description="answer latency p95 today; null without questions")
    open_unanswered: int = Field(
        description="unanswered questions waiting in the queue (all days, up to 1000)"
    )


# -- documents ----------------------------------------------------------------------


class AdminDocumentPublic(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int = Field(description="bytes")
    status: Literal["uploaded", "parsed", "failed"] = Field(
        description="parsed: indexed and searchable by its owner; failed: see `error`"
    )
    chunks: int = Field(description="passages indexed from the file")
    error: str | None = None
    created_at: datetime
    url: str = Field(description="download URL (needs a bearer token)")
    owner: str | None = Field(default=None, description="the owner's user id")
    owner_name: str | None = Field(default=None, description="the owner's username, when the owner is a user")


class UploadOutcome(BaseModel):
    """One file of ``upload_documents``: the stored document, or why it was refused."""

    filename: str
    document: AdminDocumentPublic | None = None
    error: str | None = None
    status: int | None = Field(default=None, description="the HTTP status of a refusal (413, 415, 422)")

    @property
    def ok(self) -> bool:
        return self.document is not None


# -- sessions -----------------------------------------------------------------------


class CitationPublic(BaseModel):
    chunk_id: str
    source: str
    title: str = ""
    score: float
    section: str = ""
    text: str = ""


class AdminSessionPublic(BaseModel):
    id: str
    user_id: str
    username: str | None = Field(default=None, description="the user's username, when user_id is an account")
    title: str
    created_at: datetime
    updated_at: datetime
    message_count: int
    unanswered_count: int = Field(description="answers in the session that said 'I don't know'")


class AdminSessionsPublic(BaseModel):
    items: list[AdminSessionPublic]
    total: int = Field(description="sessions matching the filters, over every page")
    limit: int
    offset: int


class TranscriptMessagePublic(BaseModel):
    id: str
    role: Literal["user", "assistant", "system"]
    text: str
    time: datetime
    citations: list[CitationPublic] = Field(default_factory=list)
    unanswered: bool = False
    source: str | None = Field(default=None, description="faq | rag | no_context | llm | client")
    latency_ms: float | None = None
    index_version: str | None = None


class TranscriptPublic(BaseModel):
    session_id: str
    user_id: str
    username: str | None = None
    title: str
    created_at: datetime
    updated_at: datetime
    messages: list[TranscriptMessagePublic] = Field(description="oldest first")


class UnansweredQuestionPublic(BaseModel):
    id: str = Field(description="the id of the 'I don't know' answer; resolve or dismiss by it")
    session_id: str
    user_id: str | None
    username: str | None = None
    question: str
    answer: str
    asked_at: datetime
    index_version: str | None = None


class UnansweredQuestionsPublic(BaseModel):
    items: list[UnansweredQuestionPublic] = Field(description="newest first")
    count: int = Field(description="items in this page")


# -- indexes ------------------------------------------------------------------------


class IndexVersionPublic(BaseModel):
    version: str
    name: str
    collection: str
    aliases: list[str]
    created_at: datetime
    run_id: str
    metrics: dict[str, float]
    spec: dict[str, Any]
    promotion: dict[str, str] = Field(default_factory=dict, description="the last gate verdict recorded")
    evaluations: dict[str, str] = Field(default_factory=dict, description="eval.<set>.<metric> → value")
    mlflow_run_url: str | None = None
    mlflow_version_url: str | None = None

    @property
    def is_production(self) -> bool:
        return "production" in self.aliases


class PromotionPublic(BaseModel):
    """The gate's verdict: ``promoted``, ``forced``, ``rolled_back`` or ``refused`` (nothing moved)."""

    version: str
    previous: str | None = Field(description="production before the call")
    forced: bool
    verdict: str
    reason: str

    @property
    def accepted(self) -> bool:
        return self.verdict != "refused"


class BuildJobPublic(BaseModel):
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

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "failed")


# -- metrics ------------------------------------------------------------------------


class DailyMetricsPublic(BaseModel):
    day: date
    questions: int
    unanswered: int
    unanswered_rate: float = Field(default=0.0, description="unanswered / questions, 0 without questions")
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _rate(cls, data: Any) -> Any:
        if isinstance(data, dict) and "unanswered_rate" not in data:
            questions = int(data.get("questions") or 0)
            rate = int(data.get("unanswered") or 0) / questions if questions else 0.0
            data = {**data, "unanswered_rate": round(rate, 4)}
        return data


class TopQuestionPublic(BaseModel):
    question: str
    count: int


class Tokens(BaseModel):
    prompt: int
    completion: int
    total: int


class Metrics(BaseModel):
    scope: Literal["global", "user", "session"]
    user_id: str | None
    since: datetime | None
    until: datetime | None
    questions: int
    unanswered: int
    unanswered_rate: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    tokens: Tokens
    first_at: datetime | None
    last_at: datetime | None
    per_day: list[DailyMetricsPublic]
    top_questions: list[TopQuestionPublic] = Field(default_factory=list)


class SessionMetrics(Metrics):
    session_id: str
    messages: int
    title: str
    created_at: datetime
    updated_at: datetime


# -- playground -----------------------------------------------------------------------


class PlaygroundChunkPublic(BaseModel):
    rank: int = Field(description="1 = best")
    chunk_id: str
    score: float = Field(description="higher is better (fused score in hybrid mode)")
    distance: float | None = Field(description="cosine distance of dense hits; null for keyword-only hits")
    relevant: bool = Field(description="within the distance threshold: the answer may cite it")
    source: str
    title: str
    section: str = ""
    text: str


class PlaygroundTimingsPublic(BaseModel):
    embed_ms: float = Field(description="embedding the question")
    search_ms: float = Field(description="searching the index (0 when the FAQ answered)")
    generate_ms: float = Field(
        description="writing the answer (0 when the FAQ answered or nothing was relevant)"
    )
    total_ms: float


class PlaygroundPublic(BaseModel):
    question: str
    answer: str
    citations: list[CitationPublic]
    answered_from_faq: bool
    faq_id: int | None = None
    unanswered: bool = Field(description="nothing relevant was found: the answer says 'I don't know'")
    source: str = Field(description="faq | rag | no_context")
    index_version: str | None
    generator: str
    mode: SearchModeName
    top_k: int
    alpha: float | None
    fusion: FusionName
    distance_threshold: float
    chunks: list[PlaygroundChunkPublic] = Field(
        description="what the search retrieved, best first (empty for FAQ answers)"
    )
    timings: PlaygroundTimingsPublic


# -- the names these models had before they followed the template (``XPublic``) ---------------
# The console and scripts import them; new code uses the names above.

EngineStatus = EngineStatusPublic
ServingIndexSummary = ServingIndexPublic
Overview = OverviewPublic
DocumentInfo = AdminDocumentPublic
Citation = CitationPublic
SessionSummary = AdminSessionPublic
SessionPage = AdminSessionsPublic
TranscriptMessage = TranscriptMessagePublic
Transcript = TranscriptPublic
UnansweredItem = UnansweredQuestionPublic
UnansweredPage = UnansweredQuestionsPublic
IndexVersionInfo = IndexVersionPublic
PromotionOutcome = PromotionPublic
BuildJob = BuildJobPublic
DailyMetrics = DailyMetricsPublic
TopQuestion = TopQuestionPublic
PlaygroundChunk = PlaygroundChunkPublic
PlaygroundTimings = PlaygroundTimingsPublic
PlaygroundResult = PlaygroundPublic
