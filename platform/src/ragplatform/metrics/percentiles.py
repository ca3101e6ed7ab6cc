"""The one definition of a percentile, in Python and in SQL: linear interpolation between the two
closest ranks, which is PostgreSQL's ``percentile_cont`` (and numpy's default). The query log's
p50/p95, a sweep's latency figures and a build's chunk statistics all use it, so the same numbers
give the same percentile wherever they are counted."""

from __future__ import annotations

import math
from collections.abc import Sequence

from psycopg import sql


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values``; None for no values. Raises ValueError for q outside 0..1."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be between 0 and 1, got {q}")
    ordered = sorted(float(v) for v in values)
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def sql_percentile(q: float, column: str) -> sql.Composable:
    """The same percentile as an aggregate over ``column``."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be between 0 and 1, got {q}")
    return sql.SQL("percentile_cont({}) WITHIN GROUP (ORDER BY {})").format(
        sql.Literal(q), sql.Identifier(column)
    )
