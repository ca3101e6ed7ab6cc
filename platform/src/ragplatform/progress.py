"""The one progress callback type that builds, evaluations, sweeps, fine-tuning and build jobs report
through: ``progress(stage, done, total)``, e.g. ``("embed", 512, 2000)``."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
"""``(stage, done, total)``; ``done == total`` ends a stage."""


def no_progress(stage: str, done: int, total: int) -> None:
    """The default callback: reports nowhere."""
    return None
