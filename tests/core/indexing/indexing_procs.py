"""Helpers for tests that build in a second process: its environment and a tiny corpus."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ragplatform.factory import Platform


def subprocess_env(platform: Platform) -> dict[str, str]:
    s = platform.settings
    return {
        **os.environ,
        "DATA_DIR": str(s.data_dir),
        "DATASETS_DIR": str(s.datasets_dir),
        "LLM__PROVIDERS": "extractive",
    }


def write_corpus(folder: Path, topic: str) -> Path:
    folder.mkdir(parents=True)
    for i in range(3):
        (folder / f"{topic}-{i}.txt").write_text(
            f"{topic} note {i}. The {topic} archive keeps record {i} of the harbour ledgers, "
            f"written by clerk number {i * 7} in the year {1800 + i}.\n"
        )
    return folder
