"""``pytest --nbmake notebooks`` (part of ``make test``) runs every notebook on a small slice of
SciFact, in file order, in one scratch data directory: the notebooks share its engines and its
embedding cache, so the corpus is embedded once and each notebook finds what the earlier ones
built. The kernels inherit these variables from this process; at the end the embedded PostgreSQL
started for them is stopped and the scratch directory removed.

Set ``NB_DATA_DIR`` (or any ``NB_*`` variable) yourself to keep the data or change the slice.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from ragplatform.factory import apply_offline_env

SMALL_SLICE = {
    "NB_QUERIES": "40",  # ~130 abstracts, ~250 chunks: embedded once, in about 15 s on two cores
    "NB_DISTRACTORS": "100",
    "NB_EXPERIMENT": "notebooks-ci",
    "NB_HARD_NEGATIVES": "2",  # 05: a few CPU steps, every kind of training example still present
    "NB_CORPUS_PAIRS_LIMIT": "32",
    "NB_API_URL": "",  # never talk to a server that may be running on this machine: start one in-process
}

_scratch: Path | None = None
_pg_was_running = False


def pytest_configure(config: pytest.Config) -> None:
    global _scratch, _pg_was_running
    apply_offline_env()
    for key, value in SMALL_SLICE.items():
        os.environ.setdefault(key, value)
    if not os.environ.get("NB_DATA_DIR"):
        # Not pytest's tmp_path: as root, PostgreSQL runs as the "pgserver" user, who must be able to
        # enter the folder (tests/conftest.py does the same).
        _scratch = Path(tempfile.mkdtemp(prefix="ragplatform-notebooks-"))
        os.environ["NB_DATA_DIR"] = str(_scratch)
    _pg_was_running = (Path(os.environ["NB_DATA_DIR"]) / "pg" / "postmaster.pid").exists()


def pytest_unconfigure(config: pytest.Config) -> None:
    from ragplatform.db.embedded import stop_embedded_postgres

    if not _pg_was_running:  # leave a server that was running before (a data dir of your own) alone
        stop_embedded_postgres(Path(os.environ["NB_DATA_DIR"]) / "pg")
    if _scratch is not None:
        shutil.rmtree(_scratch, ignore_errors=True)
        os.environ.pop("NB_DATA_DIR", None)
