"""One percentile definition: Python's ``percentile`` and SQL's ``sql_percentile`` agree on the
same numbers (issue 9: the query log's p95 and a sweep's p95 used to be counted differently)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from psycopg import sql
from psycopg_pool import ConnectionPool

from ragplatform.db.pool import connection
from ragplatform.metrics.percentiles import percentile, sql_percentile


@pytest.mark.parametrize("q", [0.0, 0.5, 0.95, 0.99, 1.0])
@pytest.mark.parametrize("n", [1, 2, 7, 101])
def test_python_and_sql_percentiles_agree(pg_pool: ConnectionPool[Any], q: float, n: int) -> None:
    rng = random.Random(n)
    values = [round(rng.uniform(0, 1000), 3) for _ in range(n)]
    query = sql.SQL("SELECT {} AS p FROM unnest(%s::float8[]) AS v").format(sql_percentile(q, "v"))
    with connection(pg_pool) as conn:
        row = conn.execute(query, [values]).fetchone()
    assert row is not None
    assert percentile(values, q) == pytest.approx(row["p"], rel=1e-12)


def test_percentile_of_nothing_is_none_and_q_is_checked() -> None:
    assert percentile([], 0.5) is None
    assert percentile([3.0, 1.0], 0.5) == 2.0
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile([1.0], 95)
