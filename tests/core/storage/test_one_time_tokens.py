"""Consumed one-time sign-in tokens live in PostgreSQL: a token used through one process's pool is
refused through another's (two replicas), and expired ids are cleared."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from ragplatform.accounts.one_time_tokens import OneTimeTokens
from ragplatform.db.pool import make_pool
from ragplatform.errors import Conflict


def test_a_token_consumed_on_one_replica_is_refused_on_another(pg_url: str) -> None:
    one, two = make_pool(pg_url, min_size=1, max_size=2), make_pool(pg_url, min_size=1, max_size=2)
    try:
        first, second = OneTimeTokens(one), OneTimeTokens(two)
        jti = uuid.uuid4().hex
        expires = datetime.now(UTC) + timedelta(minutes=5)
        assert not second.is_consumed(jti)
        first.consume(jti, expires)
        assert second.is_consumed(jti)
        with pytest.raises(Conflict, match="used already"):
            second.consume(jti, expires)
    finally:
        one.close()
        two.close()


def test_expired_ids_are_cleared(pg_url: str) -> None:
    pool = make_pool(pg_url, min_size=1, max_size=2)
    try:
        tokens = OneTimeTokens(pool)
        old = uuid.uuid4().hex
        tokens.consume(old, datetime.now(UTC) - timedelta(seconds=1))
        tokens.consume(uuid.uuid4().hex, datetime.now(UTC) + timedelta(minutes=5))
        assert not tokens.is_consumed(old)
    finally:
        pool.close()
