"""``ragplatform.db.errors.map_exceptions`` on a real PostgreSQL: values the database refuses
become ``InvalidInput`` with words for people and none of the driver's; the rest passes through."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from ragplatform.content.base import DocumentCreate
from ragplatform.content.postgres import PostgresContentStore
from ragplatform.db.pool import DictConnection, connection
from ragplatform.errors import InvalidInput
from ragplatform.metrics.base import QueryRecord
from ragplatform.metrics.postgres import PostgresQueryLog

DRIVER_TEXT = ("invalid input syntax", "out of range", "psycopg", "NUL (0x00)", "timestamp too", "Token")

REFUSED: list[tuple[str, Any]] = [
    ("SELECT %s::int", "abc"),  # invalid input syntax for type integer
    ("SELECT %s::int4", 2**31),  # integer out of range
    ("SELECT %s::uuid", "not-a-uuid"),  # invalid input syntax for type uuid
    ("SELECT %s::jsonb", "Infinity"),  # invalid input syntax for type json
    ("SELECT %s::text", "a\x00b"),  # psycopg: text fields cannot contain NUL
    ("SELECT %s::timestamptz", "10000-01-01 00:00:00+00"),  # cannot be read back: after year 10K
    ("SELECT %s::timestamptz", "0001-01-01 00:00:00+14"),  # cannot be read back: before year 1
    ("SELECT %s::date + 1", "5874897-12-31"),  # date out of range
]


@pytest.mark.parametrize(("query", "value"), REFUSED)
def test_values_the_database_refuses_are_invalid_input_without_driver_text(
    pg_pool: ConnectionPool[DictConnection], query: Any, value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.INFO, "ragplatform.db.errors"),
        pytest.raises(InvalidInput) as raised,
        connection(pg_pool) as conn,
    ):
        conn.execute(query, [value]).fetchall()
    message = raised.value.message
    assert not [t for t in DRIVER_TEXT if t.lower() in message.lower()], message
    assert isinstance(raised.value.__cause__, psycopg.DataError)
    assert caplog.records, "the driver's own text goes to the log"


def test_errors_that_are_not_the_drivers_pass_through(pg_pool: ConnectionPool[DictConnection]) -> None:
    with pytest.raises(ZeroDivisionError), connection(pg_pool):
        _ = 1 / 0


def test_driver_errors_a_store_names_itself_pass_through(pg_pool: ConnectionPool[DictConnection]) -> None:
    with pytest.raises(pg_errors.UndefinedTable), connection(pg_pool) as conn:
        conn.execute("SELECT * FROM no_such_table")


def test_a_too_large_count_for_an_int4_column_is_invalid_input(
    pg_pool: ConnectionPool[DictConnection], clean_pg: str
) -> None:
    store = PostgresContentStore(pg_pool)
    doc = store.create_document(DocumentCreate(owner="u", filename="a.txt", size_bytes=1, storage_key="k"))
    with pytest.raises(InvalidInput) as raised:
        store.update_document(doc.id, chunks=2**31)
    assert "out of range" not in raised.value.message
    assert "number" in raised.value.message


def test_a_too_large_token_count_in_the_query_log_is_invalid_input(
    pg_pool: ConnectionPool[DictConnection], clean_pg: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        PostgresQueryLog(pg_pool).record(
            QueryRecord(question="q", user_id=None, session_id=None, latency_ms=1.0, prompt_tokens=2**40)
        )
    assert "out of range" not in raised.value.message
