"""QueryLog: one row per answered question, for usage and latency metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class QueryRecord:
    question: str
    user_id: str | None
    session_id: str | None
    latency_ms: float
    retrieval_ms: float | None = None
    generation_ms: float | None = None
    unanswered: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    index_version: str | None = None
    generator: str | None = None
    source: str | None = None  # faq | rag | no_context | llm


@dataclass(frozen=True)
class UsageSummary:
    questions: int
    unanswered: int
    unanswered_rate: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    prompt_tokens: int
    completion_tokens: int
    first_at: datetime | None
    last_at: datetime | None


@dataclass(frozen=True)
class DailyUsage:
    day: date
    questions: int
    unanswered: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None


@runtime_checkable
class QueryLog(Protocol):
    def record(self, entry: QueryRecord) -> None: ...
    def summary(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
    ) -> UsageSummary: ...
    def per_day(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
    ) -> list[DailyUsage]: ...
    def top_questions(
        self, limit: int = 10, since: datetime | None = None, until: datetime | None = None
    ) -> list[tuple[str, int]]:
        """Most asked questions (case- and space-insensitive), most frequent first."""
        ...
