"""Tuning retrieval: parameter sweeps over index specs, and fine-tuning the local embedder."""

from ragplatform.tuning.sweep import SweepConfig, SweepPoint, SweepResult, describe, plot_tradeoff, sweep

__all__ = ["SweepConfig", "SweepPoint", "SweepResult", "describe", "plot_tradeoff", "sweep"]
