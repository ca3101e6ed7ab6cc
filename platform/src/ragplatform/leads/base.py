"""What a lead is: the stored lead, one qualification of it, what a submission carries, and the
rules every layer applies to them (the e-mail address form, the field lengths, the statuses)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field

from ragplatform.errors import InvalidInput

LeadStatus = Literal["new", "qualified", "contacted", "converted", "lost"]
LEAD_STATUSES: tuple[LeadStatus, ...] = get_args(LeadStatus)
LeadSource = Literal["form", "chat"]
Intent = Literal["purchase", "evaluation", "support", "information"]
INTENTS: tuple[Intent, ...] = get_args(Intent)

MAX_EMAIL = 254  # RFC 5321's limit on a forward path
MAX_NAME = 200
MAX_COMPANY = 200
MAX_MESSAGE = 5_000  # one submission's message
MAX_STORED_MESSAGE = 20_000  # a lead's messages merged over its submissions (the newest kept)
MAX_NEXT_STEP = 200

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_EMAIL_IN_TEXT = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")


def check_email(value: str) -> str:
    """``value`` trimmed when it is an e-mail address (``name@domain.tld``, at most ``MAX_EMAIL``
    characters). Raises InvalidInput naming the field ``email``."""
    email = (value or "").strip()
    if not email:
        raise InvalidInput("email must not be empty", field="email", value="")
    if len(email) > MAX_EMAIL:
        raise InvalidInput(
            f"email is {len(email)} characters long; the limit is {MAX_EMAIL}",
            field="email",
            value=len(email),
        )
    if not _EMAIL.match(email):
        raise InvalidInput(
            f"{email!r} is not an e-mail address: write it as name@example.com", field="email", value=email
        )
    return email


def email_key(email: str) -> str:
    """The form a lead is deduplicated by: trimmed and lower-cased, so ``Ada@X.org `` is ``ada@x.org``."""
    return email.strip().lower()


def email_domain(email: str) -> str:
    return email_key(email).rpartition("@")[2]


def emails_in(text: str) -> list[str]:
    """The e-mail addresses written in ``text``, in order, each once (case-insensitively)."""
    seen: dict[str, str] = {}
    for match in _EMAIL_IN_TEXT.finditer(text or ""):
        candidate = match.group(0).rstrip(".")
        if _EMAIL.match(candidate) and len(candidate) <= MAX_EMAIL:
            seen.setdefault(email_key(candidate), candidate)
    return list(seen.values())


def check_status(status: str) -> LeadStatus:
    """Raises InvalidInput naming the allowed statuses."""
    for known in LEAD_STATUSES:
        if status == known:
            return known
    raise InvalidInput(
        f"status must be one of {', '.join(LEAD_STATUSES)}, got {status!r}", field="status", value=status
    )


class Lead(BaseModel):
    id: str
    email: str
    name: str = ""
    company: str = ""
    message: str = ""
    source: LeadSource = "form"
    consent: bool = False
    user_id: str | None = None  # the account it came through; None: an anonymous visitor
    session_id: str | None = None  # the chat it came from (or was last seen in)
    status: LeadStatus = "new"
    score: int | None = None  # the latest qualification's
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime


class Reason(BaseModel):
    """Why a qualification scored what it did: a rule that fired and its points (``points`` is None
    for a reason an LLM gave)."""

    rule: str
    points: int | None = None
    detail: str = ""


class LeadAnalysis(BaseModel):
    id: str
    lead_id: str
    score: int = Field(ge=0, le=100)
    intent: Intent
    next_step: str
    reasons: list[Reason] = Field(default_factory=list)
    method: str  # "rules" or "llm:<provider>"
    created_at: datetime


@dataclass(frozen=True)
class Submission:
    """What one form post or chat message says about a person; ``email`` as they typed it."""

    email: str
    name: str = ""
    company: str = ""
    message: str = ""
    consent: bool = False
    source: LeadSource = "form"
    metadata: dict[str, Any] = field(default_factory=dict)

    def checked(self) -> Submission:
        """The submission trimmed and within the limits. Raises InvalidInput naming the field."""
        values = {
            "name": (self.name, MAX_NAME),
            "company": (self.company, MAX_COMPANY),
            "message": (self.message, MAX_MESSAGE),
        }
        trimmed: dict[str, str] = {}
        for name, (value, limit) in values.items():
            text = (value or "").strip()
            if len(text) > limit:
                raise InvalidInput(
                    f"{name} is {len(text)} characters long; the limit is {limit}",
                    field=name,
                    value=len(text),
                )
            trimmed[name] = text
        return Submission(
            check_email(self.email),
            consent=self.consent,
            source=self.source,
            metadata=dict(self.metadata),
            **trimmed,
        )


@dataclass(frozen=True)
class Conversation:
    """What the chat a lead came from says: the visitor's questions (oldest first) and how many of
    the assistant's answers were "I don't know"."""

    questions: tuple[str, ...] = ()
    answered: int = 0
    unanswered: int = 0


@dataclass(frozen=True)
class Qualification:
    """A score (0..100), the intent, the next step and the reasons, before it is stored."""

    score: int
    intent: Intent
    next_step: str
    reasons: tuple[Reason, ...]
    method: str
    note: str = ""  # why an LLM's qualification was not used, when it was not
