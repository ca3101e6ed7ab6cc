"""The time side of analytics: which period a request covers, the one it is compared with, the days
or weeks a trend is cut into, and what ``change`` means. Every layer (REST, WebSocket, console)
takes these rules from here.

- A period is half-open, ``[start, end)``, in UTC; naive times are UTC. Without ``end`` it ends
  now; without ``start`` it begins ``ANALYTICS__DEFAULT_DAYS`` (30) days before its end. It may
  span at most ``ANALYTICS__MAX_SPAN_DAYS`` (366) days, and lies between 1970 and 9000.
- The previous period has the same length and ends where the period starts.
- Trend buckets are UTC calendar days (``daily``) or ISO weeks, Monday to Sunday (``weekly``),
  labelled by the date they start on; every bucket the period touches is listed, oldest first,
  empty ones with 0, and only what falls inside the period is counted (the first and last
  bucket may be partial).
- ``change`` is the relative change against the previous period in percent, rounded to one
  decimal: ``(current - previous) / previous * 100``. When the previous value is 0 it is 0.0 if
  the current one is 0 too, and null otherwise (growth from nothing has no percentage).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args

from ragplatform.errors import InvalidInput
from ragplatform.timestamps import to_utc

Aggregation = Literal["daily", "weekly"]
AGGREGATIONS: tuple[Aggregation, ...] = get_args(Aggregation)
STEPS: dict[Aggregation, timedelta] = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Bucket:
    """One day or week of a trend: ``label`` is its first day; ``[start, end)`` the part of it
    inside the period."""

    label: date
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @property
    def window(self) -> tuple[datetime, datetime]:
        return self.start, self.end

    def previous(self) -> Period:
        """The period of the same length that ends where this one starts."""
        return Period(self.start - (self.end - self.start), self.start)

    def buckets(self, aggregation: Aggregation) -> list[Bucket]:
        """The days or weeks this period touches, oldest first, clipped to it."""
        step = STEPS[check_aggregation(aggregation)]
        first = self.start.date()
        if aggregation == "weekly":
            first -= timedelta(days=first.weekday())
        cursor = datetime.combine(first, time(), UTC)
        buckets = []
        while cursor < self.end:
            following = cursor + step
            buckets.append(Bucket(cursor.date(), max(cursor, self.start), min(following, self.end)))
            cursor = following
        return buckets


def check_aggregation(aggregation: str) -> Aggregation:
    """Raises InvalidInput naming ``aggregation`` unless it is daily or weekly."""
    for known in AGGREGATIONS:
        if aggregation == known:
            return known
    raise InvalidInput(
        f"aggregation must be one of {list(AGGREGATIONS)}, got {aggregation!r}",
        field="aggregation",
        value=aggregation,
    )


def resolve_period(
    start: datetime | None,
    end: datetime | None,
    *,
    now: datetime,
    default_days: int,
    max_span_days: int,
) -> Period:
    """The period a request asks for, with the defaults above. Raises InvalidInput naming
    ``start_date`` or ``end_date`` (the parameters' names in the API) when it is empty, reversed,
    too long or outside 1970..9000."""
    end_at = _within_years("end_date", to_utc(end, field="end_date") if end is not None else to_utc(now))
    if start is None:
        start_at = end_at - timedelta(days=default_days)
    else:
        start_at = _within_years("start_date", to_utc(start, field="start_date"))
    if start_at >= end_at:
        raise InvalidInput(
            f"start_date ({start_at.isoformat()}) must be before end_date ({end_at.isoformat()})",
            field="start_date",
            value=start_at.isoformat(),
        )
    if end_at - start_at > timedelta(days=max_span_days):
        days = (end_at - start_at) / timedelta(days=1)
        raise InvalidInput(
            f"the period spans {days:.1f} days; at most {max_span_days} may be asked at once",
            field="end_date",
            value=end_at.isoformat(),
        )
    return Period(start_at, end_at)


def _within_years(name: str, value: datetime) -> datetime:
    if not EARLIEST <= value <= LATEST:
        raise InvalidInput(
            f"{name} must lie between {EARLIEST.date()} and {LATEST.date()}, got {value.isoformat()}",
            field=name,
            value=value.isoformat(),
        )
    return value


def change(current: float, previous: float) -> float | None:
    """Percent change against ``previous`` (see the module's docstring for 0)."""
    if previous == 0:
        return 0.0 if current == 0 else None
    return round((current - previous) / previous * 100, 1)
