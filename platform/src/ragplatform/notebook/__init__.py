"""What the notebooks in ``notebooks/`` share, so each stays a page of calls and charts.

The convention that links them: every notebook names its data the same way (a slice of a BEIR
split, written under ``DATA_DIR/beir-slices/<name>/``, see ``beir_slice``) and works on the same
engines (``notebook_settings``), so ``02-evaluate`` finds what ``01-build-index`` built and
``04-promote`` promotes what exists. Whatever is missing is built, which is cheap: a build
reuses the collection of an identical corpus and chunking, and the embedding cache skips every
chunk embedded before.
"""

from ragplatform.notebook.api import api_health, serving_same_registry
from ragplatform.notebook.charts import plot_chunk_stats, plot_per_question, plot_versions
from ragplatform.notebook.data import BeirSlice, beir_slice, chunk_table
from ragplatform.notebook.versions import (
    artifact_image,
    find_or_build,
    gate_scores,
    latest_per_spec,
    pick_version,
    promotions_frame,
    retrieved_chunks,
    run_summary,
    versions_frame,
    versions_over,
)
from ragplatform.notebook.workspace import default_beir_dir, notebook_settings, progress_bars, repo_root

__all__ = [
    "BeirSlice",
    "api_health",
    "artifact_image",
    "beir_slice",
    "chunk_table",
    "default_beir_dir",
    "find_or_build",
    "gate_scores",
    "latest_per_spec",
    "notebook_settings",
    "pick_version",
    "plot_chunk_stats",
    "plot_per_question",
    "plot_versions",
    "progress_bars",
    "promotions_frame",
    "repo_root",
    "retrieved_chunks",
    "run_summary",
    "serving_same_registry",
    "versions_frame",
    "versions_over",
]
