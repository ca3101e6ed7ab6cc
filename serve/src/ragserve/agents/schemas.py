"""Request and response schemas of API document 02, named as the full-stack FastAPI template does
(``XCreate`` bodies, ``XPublic`` answers). Field names are the document's."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

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
    code: Literal["BAD_REQUEST", "NOT_FOUND"]
    detail: str = Field(description="the same message, as every other error of this API carries it")
    field: str | None = Field(default=None, description="the request field it is about, e.g. input.top_k")


class AgentPublic(BaseModel):
    name: str
    description: str
    input_schema: dict[str, Any] = Field(description="JSON schema of the agent's input")


class AgentsPublic(BaseModel):
    data: list[AgentPublic]
    count: int
