"""psycopg's errors as the platform's, with messages written for people.

The driver's own text (``invalid input syntax for type integer: "abc"``, ``integer out of range``,
the statement, the parameter) goes to the log, never into an error a client will read. Only the
driver's error types are mapped; anything else passes through, so a bug stays a bug.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import PoolClosed, PoolTimeout

from ragplatform.errors import BackendUnavailable, InvalidInput

log = logging.getLogger(__name__)

UNAVAILABLE = "PostgreSQL is unavailable; try again shortly"

# SQLSTATE of a value the database refused → what the caller did wrong, in words.
_DATA_ERRORS = {
    "22003": "a number is out of the range the database can store",
    "22P02": "a value is not in the form its field needs (a number, an id or a JSON value)",
    "22007": "a date or time is not valid",
    "22008": "a date or time is outside the range the database can store",
    "22021": "text holds a character the database cannot store",
    "22P05": "text holds a character the database cannot store (NUL or a lone surrogate)",
    "22001": "a text is longer than the database can store",
}


def _data_message(exc: psycopg.DataError) -> str:
    if exc.sqlstate in _DATA_ERRORS:
        return _DATA_ERRORS[exc.sqlstate]
    if exc.sqlstate is None and "NUL" in str(exc):  # refused by psycopg before it was sent
        return "text must not contain NUL (\\x00) characters"
    if exc.sqlstate is None:  # psycopg could not read a stored value back (a time outside years 1..9999)
        return "a value is outside the range the platform can read back (for times: years 1..9999 in UTC)"
    return "a value cannot be stored in the database"


@contextmanager
def map_exceptions() -> Iterator[None]:
    """Translates psycopg's and psycopg_pool's errors raised inside the block:

    - no connection (pool timeout or closed, operational errors) → ``BackendUnavailable``;
    - a value the database refuses (data errors, not-null and check violations) → ``InvalidInput``
      with a message for people, naming the column or the rule when PostgreSQL says which.

    Other driver errors (unique violations, ...) pass through for the store to name; everything
    that is not the driver's passes through untouched.
    """
    try:
        yield
    except (PoolTimeout, PoolClosed) as exc:
        log.warning("PostgreSQL pool: %s", exc)
        raise BackendUnavailable(UNAVAILABLE) from exc
    except psycopg.OperationalError as exc:
        log.warning("PostgreSQL: %s", exc)
        raise BackendUnavailable(UNAVAILABLE) from exc
    except pg_errors.NotNullViolation as exc:
        log.info("PostgreSQL refused a value: %s", exc)
        column = exc.diag.column_name
        raise InvalidInput(f"{column or 'a required value'} must not be empty", field=column) from exc
    except pg_errors.CheckViolation as exc:
        log.info("PostgreSQL refused a value: %s", exc)
        rule = exc.diag.constraint_name
        raise InvalidInput(f"the values break the rule {rule or 'of the table'}") from exc
    except psycopg.DataError as exc:
        log.info("PostgreSQL refused a value: %s", exc)
        raise InvalidInput(_data_message(exc)) from exc
