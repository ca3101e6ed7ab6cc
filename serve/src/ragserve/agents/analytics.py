"""API 02's analytics: ``GET /api/analytics/overview`` (the document's four KPIs, each
``{value, change}`` against the previous period of the same length), ``GET /api/analytics/trends``
(a metric per day or week) and ``WS /api/ws/analytics``. What is counted, and how periods, buckets
and ``change`` work, is ``ragplatform.analytics``' to say; a bearer token is required, an admin sees
everyone's figures and a user their own.

The socket speaks the channel protocol of ``channels.py``. It pushes the typed analytics events
(``lead_created``, ``lead_analyzed``, ``message_created``, ``conversation_deleted``,
``subscription_created``, ``subscription_updated``) the caller may see as they happen: an admin
all of them, a user their own. Topics:

- ``lead_trends``, ``conversation_trends``, ``revenue_trends`` with ``params``
  ``{"start_date": ISO, "end_date": ISO, "aggregation": "daily" | "weekly"}`` (each optional; an
  unknown or malformed one is ``BAD_REQUEST``): the envelope with the series
  (``[{"date": "2025-01-15", "value": 12}, ...]``) right after ``subscribed``, and a fresh one after
  each event that changes it (``lead_*``, ``message_created`` / ``conversation_deleted``,
  ``subscription_*``), sent after the typed event. Without ``end_date`` the period ends at the
  moment each envelope is computed, so a live chart moves along.
- ``user:<id>``: one's own (an admin: anyone's); each of that account's events also comes as the
  envelope, ``data`` being the typed event's.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, WebSocket
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ragplatform.analytics.periods import Aggregation
from ragplatform.analytics.service import Metric, scope_of
from ragplatform.content.base import User
from ragplatform.errors import InvalidInput, RagPlatformError
from ragplatform.events import PlatformEvent
from ragplatform.factory import Platform
from ragserve.agents.channels import (
    Channel,
    ChannelConnection,
    TopicRefused,
    envelope,
    error,
    serve_channel,
    user_topic,
)
from ragserve.agents.schemas import (
    AnalyticsOverviewPublic,
    TrendPointPublic,
    TrendSubscribeParams,
)
from ragserve.auth import CurrentUser
from ragserve.deps import PlatformDep
from ragserve.params import UtcTime

log = logging.getLogger(__name__)

router = APIRouter(tags=["analytics (API 02)"])

ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "no or an invalid bearer token"},
    422: {"description": "a malformed, reversed or too long period, or an unknown metric or aggregation"},
}
StartDate = Annotated[
    UtcTime | None,
    Query(description="ISO 8601, UTC when it has no offset; default: end_date minus ANALYTICS__DEFAULT_DAYS"),
]
EndDate = Annotated[UtcTime | None, Query(description="ISO 8601, excluded; default: now")]

TREND_TOPICS: dict[str, Metric] = {
    "lead_trends": "leads",
    "conversation_trends": "conversations",
    "revenue_trends": "revenue",
}
CHANGED_BY = {  # the trend an event's type (by its prefix) changes
    "lead_": "lead_trends",
    "message_": "conversation_trends",
    "conversation_": "conversation_trends",
    "subscription_": "revenue_trends",
}


# -- REST ------------------------------------------------------------------------------------------


@router.get("/api/analytics/overview", response_model=AnalyticsOverviewPublic, responses=ERRORS,
            summary="Leads, active conversations, conversion rate and revenue, against the period before")  # fmt: skip
def overview(
    platform: PlatformDep, user: CurrentUser, start_date: StartDate = None, end_date: EndDate = None
) -> AnalyticsOverviewPublic:
    analytics = platform.analytics
    result = analytics.overview(analytics.period(start_date, end_date), scope_of(user))
    return AnalyticsOverviewPublic.model_validate(asdict(result))


@router.get("/api/analytics/trends", response_model=list[TrendPointPublic], responses=ERRORS,
            summary="A metric per UTC day or ISO week, oldest first, empty ones as 0")  # fmt: skip
def trends(
    platform: PlatformDep,
    user: CurrentUser,
    metric: Annotated[Metric, Query(description="leads created, active conversations, or revenue")],
    aggregation: Annotated[Aggregation, Query(description="one point per day or per week")] = "daily",
    start_date: StartDate = None,
    end_date: EndDate = None,
) -> list[TrendPointPublic]:
    return trend_points(platform, user, metric, start_date, end_date, aggregation)


def trend_points(
    platform: Platform,
    user: User,
    metric: Metric,
    start: datetime | None,
    end: datetime | None,
    aggregation: Aggregation,
) -> list[TrendPointPublic]:
    """Raises InvalidInput, BackendUnavailable."""
    analytics = platform.analytics
    points = analytics.trend(metric, analytics.period(start, end), aggregation, scope_of(user))
    return [TrendPointPublic(date=p.date, value=p.value) for p in points]


# -- WebSocket -------------------------------------------------------------------------------------


def trend_params(params: dict[str, Any]) -> TrendSubscribeParams:
    """Raises TopicRefused (BAD_REQUEST) naming each bad parameter."""
    try:
        return TrendSubscribeParams.model_validate(params)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'params'}: {e['msg']}" for e in exc.errors())
        raise TopicRefused(f"bad params: {problems}", code="BAD_REQUEST") from None


class AnalyticsChannel(Channel):
    """Admins hear every analytics event, users their own; trend topics add live series."""

    name = "analytics"
    topics_help = "lead_trends, conversation_trends, revenue_trends or user:<id>"

    def initial_keys(self, user: User) -> set[str]:
        return {f"{self.name}:*"} if user.role == "admin" else {f"{self.name}:{user_topic(user.id)}"}

    async def key_for(self, connection: ChannelConnection, topic: str, params: dict[str, Any]) -> str:
        if topic not in TREND_TOPICS:
            return await super().key_for(connection, topic, params)
        asked = trend_params(params)
        try:
            connection.platform.analytics.period(asked.start_date, asked.end_date)
        except InvalidInput as exc:
            raise TopicRefused(exc.message, code="BAD_REQUEST") from None
        # a trend changes with the events this connection hears anyway
        return next(iter(self.initial_keys(connection.user)))

    async def subscribed(self, connection: ChannelConnection, topic: str, params: dict[str, Any]) -> None:
        series = await self.trend_envelope(connection, topic, params) if topic in TREND_TOPICS else None
        if series is not None:
            await connection.send(series)

    async def render(self, connection: ChannelConnection, event: PlatformEvent) -> list[dict[str, Any]]:
        """The typed event; the ``user:<owner>`` envelope when subscribed; the fresh series of the
        trend the event changes, when subscribed."""
        messages = [{"type": event.type, "data": event.data}]
        owner = user_topic(event.owner) if event.owner else None
        if owner in connection.topics:
            messages.append(envelope(self.name, owner, event.data, event.ts))
        changed = next((t for prefix, t in CHANGED_BY.items() if event.type.startswith(prefix)), None)
        if changed in connection.topics:
            series = await self.trend_envelope(connection, changed, connection.topics[changed][1])
            messages.extend([series] if series is not None else [])
        return messages

    async def trend_envelope(
        self, connection: ChannelConnection, topic: str, params: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The topic's series as the document's envelope; a ``BAD_REQUEST`` error once its period
        has grown past the limit (a start without an end); None while the database is away (the
        next event brings it)."""
        asked = trend_params(params)
        try:
            points = await run_in_threadpool(
                trend_points,
                connection.platform,
                connection.user,
                TREND_TOPICS[topic],
                asked.start_date,
                asked.end_date,
                asked.aggregation,
            )
        except InvalidInput as exc:
            return error("BAD_REQUEST", f"{topic}: {exc.message}")
        except RagPlatformError as exc:
            log.warning("analytics %s not sent: %s", topic, exc.message)
            return None
        return envelope(self.name, topic, [p.model_dump(mode="json") for p in points])


@router.websocket("/api/ws/analytics")
async def analytics_socket(websocket: WebSocket) -> None:
    """Analytics events and live trends; the protocol is in this module's docstring."""
    await serve_channel(websocket, AnalyticsChannel())
