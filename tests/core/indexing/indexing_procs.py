"""Helpers for tests that build in a second process: its environment and a tiny corpus."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
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


def start_script(platform: Platform, script: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    """Runs ``script`` in a second Python process on the platform's engines and returns it with the
    first line it prints (its handshake); fails with its stderr when it printed nothing."""
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        env=subprocess_env(platform),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line:
        proc.kill()
        raise AssertionError(proc.stderr.read() if proc.stderr else "the script printed nothing")
    return proc, line
