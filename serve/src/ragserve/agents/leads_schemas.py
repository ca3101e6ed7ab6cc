"""Request and response schemas of API 02's leads (``/api/leads``), named as the full-stack FastAPI
template does. The length limits are ``ragplatform.leads.base``'s, the one place they are set."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from ragplatform.errors import InvalidInput
from ragplatform.leads.base import (
    MAX_COMPANY,
    MAX_EMAIL,
    MAX_MESSAGE,
    MAX_NAME,
    Lead,
    LeadAnalysis,
    LeadStatus,
    check_email,
)


def _email(value: str) -> str:
    try:
        return check_email(value)
    except InvalidInput as exc:  # pydantic reports a ValueError as a 422 naming body.email
        raise ValueError(exc.message) from None


Email = Annotated[
    str,
    Field(
        min_length=1, max_length=MAX_EMAIL, description=f"an e-mail address, at most {MAX_EMAIL} characters"
    ),
    AfterValidator(_email),
]


class LeadCreate(BaseModel):
    email: Email
    name: str = Field(default="", max_length=MAX_NAME, description=f"at most {MAX_NAME} characters")
    company: str = Field(default="", max_length=MAX_COMPANY, description=f"at most {MAX_COMPANY} characters")
    message: str = Field(
        default="", max_length=MAX_MESSAGE, description=f"what they want, at most {MAX_MESSAGE} characters"
    )
    consent: bool = Field(
        description="the person agrees to be contacted; required, and must be true for anything to be stored"
    )


class LeadUpdate(BaseModel):
    status: LeadStatus


class LeadConsentCreate(BaseModel):
    session_id: str = Field(
        min_length=1, max_length=200, description="the chat session (one the caller may see)"
    )
    consent: bool = Field(description="whether the visitor of that chat agrees to be contacted")


class ReasonPublic(BaseModel):
    rule: str = Field(description='the rule that fired ("work_email", "demo_request", ...), or "llm"')
    points: int | None = Field(description="what it added to the score (None for an LLM's reason)")
    detail: str


class LeadAnalysisPublic(BaseModel):
    id: str
    lead_id: str
    score: int = Field(ge=0, le=100)
    intent: Literal["purchase", "evaluation", "support", "information"]
    next_step: str
    reasons: list[ReasonPublic]
    method: str = Field(description='"rules" or "llm:<provider>"')
    created_at: datetime

    @classmethod
    def of(cls, analysis: LeadAnalysis) -> LeadAnalysisPublic:
        return cls.model_validate(analysis.model_dump())


class LeadPublic(BaseModel):
    id: str
    email: str
    name: str
    company: str
    message: str
    source: Literal["form", "chat"]
    consent: bool
    user_id: str | None = Field(description="the account it came through; None for an anonymous visitor")
    session_id: str | None = Field(description="the chat it came from")
    status: LeadStatus
    score: int | None = Field(description="the newest qualification's score")
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    analysis: LeadAnalysisPublic | None = Field(default=None, description="the newest qualification")

    @classmethod
    def of(cls, lead: Lead, analysis: LeadAnalysis | None = None) -> LeadPublic:
        return cls.model_validate(
            {**lead.model_dump(), "analysis": LeadAnalysisPublic.of(analysis) if analysis else None}
        )


class LeadsPublic(BaseModel):
    data: list[LeadPublic]
    count: int = Field(description="leads matching the filters, on every page")


class LeadAnalysesPublic(BaseModel):
    data: list[LeadAnalysisPublic]
    count: int


class LeadConsentPublic(BaseModel):
    session_id: str
    consent: bool
    captured: bool = Field(description="an address written earlier in the chat became a lead now")
    lead: LeadPublic | None = Field(
        description="that lead, when the caller may read it (an admin, or the account the chat belongs to)"
    )
