"""Settings for tests: isolated from the developer's environment and .env, on embedded engines,
and scratch folders the embedded PostgreSQL may enter. ``conftest.py`` builds the session's
platform with them; a test that needs a platform of its own (another database) does too."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ragplatform.settings import Settings

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO / "datasets"


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings isolated from the developer's environment and .env: embedded engines only."""
    base: dict[str, object] = {
        "environment": "test",
        "data_dir": data_dir,
        "datasets_dir": DATASETS,
        "database_url": None,
        "mongodb_uri": None,
        "weaviate_url": None,
        "mlflow_tracking_uri": None,
        "redis_url": None,
        # Deterministic answers for assertions; the local LLM has its own tests.
        "llm": {"providers": ["extractive"]},
    }
    base.update(overrides)
    return Settings(_env_file=None, **base)  # type: ignore[call-arg]


def scratch_dir(prefix: str) -> Path:
    """A scratch directory outside pytest's tmp folder: as root, pgserver runs PostgreSQL as the
    ``pgserver`` user, which must be able to enter every parent folder (pytest's are mode 0700)."""
    return Path(tempfile.mkdtemp(prefix=prefix))
