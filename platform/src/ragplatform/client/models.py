"""What the API client returns: pydantic models of the served API's answers.

The admin routes (``ragserve.admin``) answer with these same models, so the
client and the server cannot drift apart. Content rows (FAQ items, emergency contacts,
events) are the platform's own models from ``ragplatform.content.base``. API 02's answers
(agents, workflows, notifications, leads, analytics, payments) are mirrored field for field from
``ragserve.agents.schemas`` and ``leads_schemas`` (the platform cannot import the web layer);
the API tests check the client against the live server.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from ragplatform.analytics.periods import Aggregation
from ragplatform.content.base import EmergencyContact, Event, EventPrice, FaqItem
from ragplatform.leads.base import Intent, LeadSource, LeadStatus

__all__ = [
    "AdminDocumentPublic",
    "AdminSessionPublic",
    "AdminSessionsPublic",
    "AgentPublic",
    "AgentRunPublic",
    "Aggregation",
    "AnalyticsOverviewPublic",
    "BuildJob",
    "BuildJobPublic",
    "CheckoutSessionPublic",
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
    "KpiPublic",
    "LeadAnalysisPublic",
    "LeadConsentPublic",
    "LeadPublic",
    "LeadStatus",
    "LeadsPublic",
    "Message",
    "Metrics",
    "NotificationPublic",
    "NotificationsPublic",
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
    "ReasonPublic",
    "RunStatus",
    "SearchModeName",
    "ServingIndexPublic",
    "ServingIndexSummary",
    "SessionMetrics",
    "SessionPage",
    "SessionSummary",
    "SubscriptionPublic",
    "SubscriptionsPublic",
    "Tokens",
    "TopQuestion",
    "TopQuestionPublic",
    "Transcript",
    "TranscriptMessage",
    "TranscriptMessagePublic",
    "TranscriptPublic",
    "TrendMetric",
    "TrendPointPublic",
    "UnansweredItem",
    "UnansweredPage",
    "UnansweredQuestionPublic",
    "UnansweredQuestionsPublic",
    "UploadOutcome",
    "WorkflowPublic",
    "WorkflowRunDetailPublic",
    "WorkflowRunPublic",
    "WorkflowRunsPublic",
    "WorkflowStepPublic",
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


# -- API 02: agents and workflows -------------------------------------------------------

RunStatus = Literal["queued", "running", "completed", "failed"]
TrendMetric = Literal["leads", "conversations", "revenue"]


class AgentPublic(BaseModel):
    name: str
    description: str
    input_schema: dict[str, Any] = Field(description="JSON schema of the agent's input")


class AgentRunPublic(BaseModel):
    request_id: str
    status: RunStatus
    result: dict[str, Any] | None = Field(default=None, description="present when status is completed")
    error: str | None = Field(default=None, description="present when status is failed")


class WorkflowPublic(BaseModel):
    workflow_id: str
    description: str
    admin_only: bool
    steps: list[str]
    input_schema: dict[str, Any]


class WorkflowRunPublic(BaseModel):
    workflow_run_id: str
    workflow_id: str
    status: RunStatus
    outputs: dict[str, Any] | None = Field(default=None, description="present when status is completed")
    error: str | None = Field(default=None, description="present when status is failed")
    user_id: str
    step: str = Field(description="the step running, or the last one run")
    progress: float = Field(ge=0, le=1, description="the whole run's progress, 0..1")
    attempts: int = Field(description="times a worker started it (a run whose worker died is retried)")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed")


class WorkflowStepPublic(BaseModel):
    position: int
    name: str
    status: RunStatus
    progress: float = Field(description="the step's progress, 0..1")
    detail: dict[str, Any] = Field(default_factory=dict, description="what the step noted (version, ...)")
    started_at: datetime | None = None
    finished_at: datetime | None = None


class WorkflowRunDetailPublic(WorkflowRunPublic):
    inputs: dict[str, Any]
    steps: list[WorkflowStepPublic] = Field(description="in the workflow's order, the ones started so far")


class WorkflowRunsPublic(BaseModel):
    data: list[WorkflowRunPublic] = Field(description="newest first")
    count: int = Field(description="runs matching the filter, on every page")


# -- API 02: notifications --------------------------------------------------------------


class NotificationPublic(BaseModel):
    id: str
    user_id: str
    notification_type: str = Field(description="what raised it, e.g. unanswered_question")
    severity: Literal["info", "warning", "error", "success"]
    title: str
    message: str
    read: bool
    metadata: dict[str, Any] = Field(default_factory=dict)
    action_url: str | None = Field(default=None, description="where a client can act on it")
    created_at: datetime


class NotificationsPublic(BaseModel):
    data: list[NotificationPublic] = Field(description="newest first")
    count: int = Field(description="notifications matching the filter, on every page")
    unread: int = Field(description="the caller's unread notifications")


# -- API 02: leads ----------------------------------------------------------------------


class ReasonPublic(BaseModel):
    rule: str = Field(description='the rule that fired ("work_email", "demo_request", ...), or "llm"')
    points: int | None = Field(description="what it added to the score (None for an LLM's reason)")
    detail: str


class LeadAnalysisPublic(BaseModel):
    id: str
    lead_id: str
    score: int = Field(ge=0, le=100)
    intent: Intent
    next_step: str
    reasons: list[ReasonPublic]
    method: str = Field(description='"rules" or "llm:<provider>"')
    created_at: datetime


class LeadPublic(BaseModel):
    id: str
    email: str
    name: str
    company: str
    message: str
    source: LeadSource
    consent: bool
    user_id: str | None = Field(description="the account it came through; None for an anonymous visitor")
    session_id: str | None = Field(description="the chat it came from")
    status: LeadStatus
    score: int | None = Field(description="the newest qualification's score")
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
    analysis: LeadAnalysisPublic | None = Field(default=None, description="the newest qualification")


class LeadsPublic(BaseModel):
    data: list[LeadPublic] = Field(description="newest first")
    count: int = Field(description="leads matching the filters, on every page")


class LeadConsentPublic(BaseModel):
    session_id: str
    consent: bool
    captured: bool = Field(description="an address written earlier in the chat became a lead now")
    lead: LeadPublic | None = Field(description="that lead, when the caller may read it")


# -- API 02: analytics and payments -----------------------------------------------------


class KpiPublic(BaseModel):
    value: int | float = Field(description="the figure for the period asked")
    change: float | None = Field(
        description="percent change against the previous period of the same length; "
        "0.0 when both are 0, null when only the previous one is"
    )


class AnalyticsOverviewPublic(BaseModel):
    total_leads: KpiPublic = Field(description="leads created in the period")
    active_conversations: KpiPublic = Field(description="sessions with a message in the period")
    conversion_rate: KpiPublic = Field(description="percent (0..100) of the period's leads that converted")
    total_revenue: KpiPublic = Field(description="revenue of the subscriptions started in the period")


class TrendPointPublic(BaseModel):
    date: Annotated[date, Field(description="the UTC day, or the Monday of the ISO week, it counts")]
    value: int | float


class CheckoutSessionPublic(BaseModel):
    id: str = Field(description="the Checkout Session's id (cs_...)")
    url: str | None = Field(description="Stripe's hosted checkout page to send the buyer to")


class SubscriptionPublic(BaseModel):
    id: str
    user_id: str | None = Field(description="the account that paid, when known")
    customer_email: str | None
    plan: str = Field(description="the Stripe price paid for")
    status: str = Field(description="Stripe's subscription status (active, past_due, canceled, ...) or paid")
    start_date: datetime
    end_date: datetime | None = Field(description="when it ended or ends (the paid-through date)")
    final_price: float = Field(description="what was paid, in the currency's major unit")
    currency: str
    mode: Literal["subscription", "payment"]
    stripe_customer_id: str | None
    stripe_subscription_id: str | None
    stripe_checkout_session_id: str | None
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime


class SubscriptionsPublic(BaseModel):
    data: list[SubscriptionPublic] = Field(description="newest first")
    count: int = Field(description="subscriptions matching the filter, on every page")


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
