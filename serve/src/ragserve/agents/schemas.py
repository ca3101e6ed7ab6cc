"""Request and response schemas of API document 02, named as the full-stack FastAPI template does
(``XCreate`` bodies, ``XPublic`` answers). Field names are the document's."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ragplatform.analytics.periods import Aggregation
from ragplatform.payments.service import (
    MAX_EMAIL_CHARS,
    MAX_METADATA_KEY_CHARS,
    MAX_METADATA_KEYS,
    MAX_METADATA_VALUE_CHARS,
    MAX_URL_CHARS,
)
from ragplatform.timestamps import UtcDatetime

# -- notifications ---------------------------------------------------------------------------------


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
    data: list[NotificationPublic]
    count: int = Field(description="notifications matching the filter, on every page")
    unread: int = Field(description="the caller's unread notifications")


class NotificationsReadPublic(BaseModel):
    updated: int = Field(description="notifications that were unread and are now read")


# -- agents ----------------------------------------------------------------------------------------


class AgentInvokeCreate(BaseModel):
    agent_type: str = Field(default="", max_length=100, description='e.g. "chat_agent"; see GET /api/agents')
    input: dict[str, Any] = Field(default_factory=dict, description="the agent's input, per its schema")
    user_id: str | None = Field(
        default=None,
        max_length=200,
        description="optional end-user identifier, recorded with the run; the caller is the token's user",
    )
    metadata: dict[str, Any] | None = Field(default=None, description="correlation or tracking metadata")


class AgentRunPublic(BaseModel):
    request_id: str
    status: Literal["queued", "running", "completed", "failed"]
    result: dict[str, Any] | None = Field(default=None, description="present when status is completed")
    error: str | None = Field(default=None, description="present when status is failed")


class AgentErrorPublic(BaseModel):
    error: str = Field(description="what is wrong, for a person")
    code: Literal["BAD_REQUEST", "FORBIDDEN", "NOT_FOUND"]
    detail: str = Field(description="the same message, as every other error of this API carries it")
    field: str | None = Field(default=None, description="the request field it is about, e.g. input.top_k")


class AgentPublic(BaseModel):
    name: str
    description: str
    input_schema: dict[str, Any] = Field(description="JSON schema of the agent's input")


class AgentsPublic(BaseModel):
    data: list[AgentPublic]
    count: int


# -- workflows -------------------------------------------------------------------------------------


class WorkflowExecuteCreate(BaseModel):
    workflow_id: str = Field(
        default="", max_length=100, description='e.g. "rebuild_index"; see GET /api/agents/workflows'
    )
    inputs: dict[str, Any] = Field(default_factory=dict, description="the workflow's inputs, per its schema")
    user_id: str | None = Field(
        default=None, max_length=200,
        description="whom the run is for (events, notification, reads): yourself, or any account for an admin",
    )  # fmt: skip
    run_async: bool = Field(
        default=False, alias="async",
        description="true: answer at once with status queued and report by polling and /api/ws/workflows",
    )  # fmt: skip

    model_config = {"populate_by_name": True}


class WorkflowRunPublic(BaseModel):
    workflow_run_id: str
    workflow_id: str
    status: Literal["queued", "running", "completed", "failed"]
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


class WorkflowStepPublic(BaseModel):
    position: int
    name: str
    status: Literal["queued", "running", "completed", "failed"]
    progress: float
    detail: dict[str, Any]
    started_at: datetime | None = None
    finished_at: datetime | None = None


class WorkflowRunDetailPublic(WorkflowRunPublic):
    inputs: dict[str, Any]
    steps: list[WorkflowStepPublic]


class WorkflowRunsPublic(BaseModel):
    data: list[WorkflowRunPublic]
    count: int


class WorkflowPublic(BaseModel):
    workflow_id: str
    description: str
    admin_only: bool
    steps: list[str]
    input_schema: dict[str, Any]


class WorkflowsPublic(BaseModel):
    data: list[WorkflowPublic]
    count: int


# -- payments --------------------------------------------------------------------------------------


class CheckoutSessionCreate(BaseModel):
    price_id: str | None = Field(
        default=None, max_length=255, description="a Stripe price (price_...); unset: STRIPE_PRICE_ID"
    )
    mode: Literal["subscription", "payment"] | None = Field(
        default=None, description="subscription, or payment for a one-off charge; unset: STRIPE_MODE"
    )
    success_url: str | None = Field(
        default=None,
        max_length=MAX_URL_CHARS,
        description="http(s) page Stripe sends the buyer to after paying; unset: STRIPE_SUCCESS_URL. "
        "Stripe replaces {CHECKOUT_SESSION_ID} in it.",
    )
    cancel_url: str | None = Field(
        default=None,
        max_length=MAX_URL_CHARS,
        description="http(s) page for a buyer who goes back; unset: STRIPE_CANCEL_URL",
    )
    customer_email: str | None = Field(
        default=None,
        max_length=MAX_EMAIL_CHARS,
        description="prefills Stripe's form; unset: the caller's account e-mail",
    )
    metadata: dict[str, str] = Field(
        default_factory=dict,
        description=f"up to {MAX_METADATA_KEYS} string pairs (keys of at most {MAX_METADATA_KEY_CHARS} "
        f"characters, values of at most {MAX_METADATA_VALUE_CHARS}), kept on the session and the "
        "subscription; user_id (the caller) and price_id are set by the server",
    )


class CheckoutSessionPublic(BaseModel):
    id: str = Field(description="the Checkout Session's id (cs_...)")
    url: str | None = Field(description="Stripe's hosted checkout page to send the buyer to")


class WebhookReceiptPublic(BaseModel):
    received: bool
    duplicate: bool = Field(description="true when this event was processed before; nothing changed")
    event_type: str


class SubscriptionPublic(BaseModel):
    id: str
    user_id: str | None = Field(description="the account that paid, when known")
    customer_email: str | None
    plan: str = Field(description="the Stripe price paid for")
    status: str = Field(description="Stripe's subscription status (active, past_due, canceled, ...), "
                        "paid for a one-off payment, incomplete or failed for a delayed one")  # fmt: skip
    start_date: datetime
    end_date: datetime | None = Field(description="when it ended or ends (the paid-through date)")
    final_price: float = Field(description="what was paid, in the currency's major unit")
    currency: str
    mode: Literal["subscription", "payment"]
    stripe_customer_id: str | None
    stripe_subscription_id: str | None
    stripe_checkout_session_id: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class SubscriptionsPublic(BaseModel):
    data: list[SubscriptionPublic]
    count: int = Field(description="subscriptions matching the filter, on every page")


# -- analytics -------------------------------------------------------------------------------------


class KpiPublic(BaseModel):
    value: int | float = Field(description="the figure for the period asked")
    change: float | None = Field(
        description="percent change against the previous period of the same length (one decimal); "
        "0.0 when both are 0, null when only the previous one is"
    )


class AnalyticsOverviewPublic(BaseModel):
    total_leads: KpiPublic = Field(description="leads created in the period")
    active_conversations: KpiPublic = Field(description="sessions with a message in the period")
    conversion_rate: KpiPublic = Field(
        description="percent (0..100) of the period's leads that converted: status converted, or an "
        "e-mail with an active subscription or a paid one-off payment"
    )
    total_revenue: KpiPublic = Field(
        description="final_price summed over the subscriptions started in the period (major units)"
    )


class TrendPointPublic(BaseModel):
    date: Annotated[date, Field(description="the UTC day, or the Monday of the ISO week, it counts")]
    value: int | float


class TrendSubscribeParams(BaseModel):
    """The ``params`` of a trend topic's ``subscribe`` message on ``WS /api/ws/analytics``."""

    model_config = ConfigDict(extra="forbid")

    start_date: UtcDatetime | None = None
    end_date: UtcDatetime | None = None
    aggregation: Aggregation = "daily"
