"""Times as the platform stores them: aware UTC datetimes inside years 1..9999.

A time with an offset can name an instant outside the calendar once converted to UTC
(``0001-01-01T00:00:00+14:00`` is in year 0, ``9999-12-31T23:59:59-14:00`` in year 10000):
Python cannot hold it, and PostgreSQL stores it but the driver cannot read it back. Every layer
converts through :func:`to_utc`, which refuses such a value as the caller's mistake.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator

from ragplatform.errors import InvalidInput


def to_utc(value: datetime, *, field: str | None = None) -> datetime:
    """``value`` as an aware UTC datetime; a naive value is taken to be UTC already.

    Raises ``InvalidInput`` (naming ``field``) when the instant falls outside years 1..9999 in UTC.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        name = field or "the time"
        raise InvalidInput(
            f"{name} ({value.isoformat()}) falls outside years 1..9999 once converted to UTC",
            field=field,
            value=value.isoformat(),
        ) from None


def _utc_or_value_error(value: datetime) -> datetime:
    try:
        return to_utc(value)
    except InvalidInput as exc:  # pydantic names the field and reports a ValueError as 422
        raise ValueError(exc.message) from None


UtcDatetime = Annotated[datetime, AfterValidator(_utc_or_value_error)]
"""A pydantic field type: any ISO 8601 time, validated and returned as aware UTC."""
