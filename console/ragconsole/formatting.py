"""How figures read on the pages: milliseconds, rates, changes, evaluation tags and workflow
outputs as tables and lines."""

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


def metric_table(metrics: Mapping[str, object]) -> pd.DataFrame:
    """A workflow's evaluation metrics (``ndcg_at_10`` → ``nDCG@10``) as a table; non-numbers skipped."""
    rows = [
        {"metric": label(k), "value": float(v)}
        for k, v in sorted(metrics.items())
        if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    return pd.DataFrame(rows, columns=["metric", "value"])


def step_caption(detail: Mapping[str, object]) -> str:
    """What a workflow step noted (``{"version": "4", "chunks": 120}``) as one line."""
    return " · ".join(f"{k.replace('_', ' ')}: {v}" for k, v in detail.items())


def change(percent_change: float | None) -> str | None:
    """A KPI's change against the period before, as ``st.metric``'s delta (None: nothing to compare)."""
    if percent_change is None:
        return None
    return "0.0%" if percent_change == 0 else f"{percent_change:+.1f}%"
