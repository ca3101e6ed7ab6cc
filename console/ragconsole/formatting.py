"""How figures read on the pages: milliseconds, rates, evaluation tags as tables and columns."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ragplatform.evaluation.metrics import label


def ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def evaluation_values(evaluations: Mapping[str, str]) -> dict[str, float]:
    """``eval.<set>.<metric>`` tags as ``"<metric label> (<set>)"`` → value; unreadable values skipped."""
    values: dict[str, float] = {}
    for key, raw in evaluations.items():
        eval_set, _, metric = key.removeprefix("eval.").rpartition(".")
        try:
            values[f"{label(metric)} ({eval_set})" if eval_set else label(metric)] = float(raw)
        except ValueError:
            continue
    return dict(sorted(values.items()))


def evaluation_table(evaluations: Mapping[str, str]) -> pd.DataFrame:
    rows = [{"metric": name, "value": value} for name, value in evaluation_values(evaluations).items()]
    return pd.DataFrame(rows, columns=["metric", "value"])
