"""Real storage faults for tests: a read-only folder and a full disk (as root: bind and tmpfs mounts;
otherwise file modes, or a skip with the reason)."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _run(*cmd: str) -> bool:
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` and everything under it unwritable for real: modes for a normal user; as root
    (whom modes do not stop) a read-only bind mount. Skips when neither can be done here."""
    if os.geteuid() != 0:
        dirs = [path, *(p for p in path.rglob("*") if p.is_dir())]
        modes = {d: stat.S_IMODE(d.stat().st_mode) for d in dirs}
        for d in dirs:
            d.chmod(0o555)
        try:
            yield
        finally:
            for d, mode in modes.items():
                d.chmod(mode)
        return
    if not _run("mount", "--bind", str(path), str(path)):
        pytest.skip("running as root without the right to mount: cannot make a folder read-only")
    try:
        if not _run("mount", "-o", "remount,bind,ro", str(path)):
            pytest.skip("running as root without the right to remount: cannot make a folder read-only")
        yield
    finally:
        _run("umount", str(path))


@contextmanager
def tiny_disk(path: Path, size_kib: int) -> Iterator[None]:
    """Mount a ``size_kib`` KiB tmpfs on ``path`` (a real disk-full). Needs root; skips otherwise."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not _run("mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(path)):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        yield
    finally:
        _run("umount", str(path))
