"""Charts the notebooks show, as matplotlib Figures (a cell that ends with one displays it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from ragplatform.evaluation.evaluate import EvalReport

BLUE, GREEN, RED, PURPLE = "#4c72b0", "#55a868", "#c44e52", "#8172b2"


def plot_chunk_stats(chunks: pd.DataFrame, chunk_size: int) -> Figure:
    """Chunk length in tokens (against ``chunk_size``) and in characters, and chunks per document,
    from ``chunk_table``."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 3.6), layout="constrained")
    tokens, chars, per_doc = fig.subplots(1, 3)
    tokens.hist(chunks["tokens"], bins=40, color=BLUE)
    tokens.axvline(chunk_size, color=RED, linestyle="--", label=f"chunk_size {chunk_size}")
    tokens.set(xlabel="tokens (cl100k)", ylabel="chunks", title="chunk length in tokens")
    tokens.legend()
    chars.hist(chunks["chars"], bins=40, color=GREEN)
    chars.set(xlabel="characters", ylabel="chunks", title="chunk length in characters")
    counts = chunks.groupby("doc_id").size().value_counts().sort_index()
    per_doc.bar(counts.index.astype(str), counts.to_numpy(), color=PURPLE)
    per_doc.set(xlabel="chunks in the document", ylabel="documents", title="chunks per document")
    return fig


def _rank_bucket(rank: Any) -> str:
    import pandas as pd

    if rank is None or pd.isna(rank):
        return "none"
    r = int(rank)
    return str(r) if r <= 3 else "4-5" if r <= 5 else "6-10" if r <= 10 else "11-100"


def plot_per_question(report: EvalReport, metric: str = "ndcg_at_10") -> Figure:
    """How the questions spread: ``metric`` per question, and the rank of the first relevant
    document ("none": not within the evaluated depth)."""
    from matplotlib.figure import Figure

    from ragplatform.evaluation.metrics import label

    table = report.table()
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.hist(table[metric].dropna(), bins=20, range=(0, 1), color=BLUE)
    left.set(xlabel=label(metric), ylabel="questions", title=f"{label(metric)} per question")
    buckets = ["1", "2", "3", "4-5", "6-10", "11-100", "none"]
    counts = table["first_relevant_rank"].map(_rank_bucket).value_counts().reindex(buckets, fill_value=0)
    right.bar(buckets, counts.to_numpy(), color=GREEN)
    right.set(xlabel="rank of the first relevant document", ylabel="questions", title="first relevant hit")
    return fig


def plot_versions(scores: pd.Series, metric: str, production: str | None, tolerance: float) -> Figure:
    """``metric`` per version (``scores`` indexed by version), production in red with the gate's
    floor (production minus the tolerance) below which a candidate is refused."""
    from matplotlib.figure import Figure

    from ragplatform.evaluation.metrics import label

    versions = [str(v) for v in scores.index]
    fig = Figure(figsize=(max(5.0, 0.8 * len(versions) + 2), 3.6), layout="constrained")
    ax = fig.subplots()
    colors = [RED if v == production else BLUE for v in versions]
    bars = ax.bar([f"v{v}" for v in versions], scores.to_numpy(), color=colors)
    ax.bar_label(bars, fmt="%.3f", fontsize=8)
    if production in versions:
        floor = float(scores.to_numpy()[versions.index(str(production))]) - tolerance
        ax.axhline(floor, color=RED, linestyle="--", linewidth=1, label="production - tolerance")
        ax.legend(loc="upper right")
    ax.set(ylabel=label(metric), ylim=(0, 1.2), title=f"{label(metric)} per version (red: production)")
    return fig
