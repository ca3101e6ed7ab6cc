"""Periods, the period before, trend buckets and ``change`` (``ragplatform.analytics.periods``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ragplatform.analytics.periods import Period, change, resolve_period
from ragplatform.errors import InvalidInput

NOW = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)


def period(start: datetime | None = None, end: datetime | None = None) -> Period:
    return resolve_period(start, end, now=NOW, default_days=30, max_span_days=366)


def test_defaults_are_the_last_30_days_and_naive_times_are_utc() -> None:
    assert period() == Period(NOW - timedelta(days=30), NOW)
    end = datetime(2025, 3, 1)
    assert period(end=end) == Period(datetime(2025, 1, 30, tzinfo=UTC), end.replace(tzinfo=UTC))
    paris = timezone(timedelta(hours=1))
    assert period(datetime(2025, 3, 1, 1, tzinfo=paris)).start == datetime(2025, 3, 1, tzinfo=UTC)


def test_the_previous_period_has_the_same_length_and_ends_at_the_start() -> None:
    p = period(datetime(2025, 3, 1), datetime(2025, 3, 8))
    assert p.previous() == Period(datetime(2025, 2, 22, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("start", "end", "field", "words"),
    [
        (datetime(2025, 3, 2), datetime(2025, 3, 1), "start_date", "must be before end_date"),
        (datetime(2025, 3, 1), datetime(2025, 3, 1), "start_date", "must be before end_date"),
        (NOW + timedelta(days=1), None, "start_date", "must be before end_date"),
        (datetime(2024, 1, 1), datetime(2025, 1, 2), "end_date", "at most 366"),
        (datetime(1969, 12, 1), datetime(1970, 1, 2), "start_date", "between 1970-01-01 and 9000-01-01"),
        (None, datetime(9999, 1, 1), "end_date", "between 1970-01-01 and 9000-01-01"),
    ],
)
def test_bad_periods_name_the_parameter(
    start: datetime | None, end: datetime | None, field: str, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words) as refused:
        period(start, end)
    assert refused.value.field == field


def test_daily_buckets_cover_every_day_touched_clipped_to_the_period() -> None:
    p = period(datetime(2025, 3, 1, 18), datetime(2025, 3, 4, 6))
    buckets = p.buckets("daily")
    assert [b.label for b in buckets] == [date(2025, 3, d) for d in (1, 2, 3, 4)]
    assert (buckets[0].start, buckets[0].end) == (p.start, datetime(2025, 3, 2, tzinfo=UTC))
    assert (buckets[-1].start, buckets[-1].end) == (datetime(2025, 3, 4, tzinfo=UTC), p.end)
    whole_days = period(datetime(2025, 3, 1), datetime(2025, 3, 8)).buckets("daily")
    assert len(whole_days) == 7  # the end is excluded: no empty eighth day


def test_weekly_buckets_are_iso_weeks_labelled_by_their_monday() -> None:
    p = period(datetime(2025, 3, 1), datetime(2025, 3, 15))  # a Saturday to a Saturday
    buckets = p.buckets("weekly")
    assert [b.label for b in buckets] == [date(2025, 2, 24), date(2025, 3, 3), date(2025, 3, 10)]
    assert buckets[0].start == p.start and buckets[-1].end == p.end
    with pytest.raises(InvalidInput, match="aggregation must be one of"):
        p.buckets("monthly")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [(123, 100, 23.0), (12, 13, -7.7), (0, 0, 0.0), (5, 0, None), (0, 4, -100.0), (14.2, 14.1, 0.7)],
)
def test_change_is_the_relative_change_in_percent(
    current: float, previous: float, expected: float | None
) -> None:
    assert change(current, previous) == expected
