"""Session-scoped fixtures that start real engines: embedded PostgreSQL (pgserver), LanceDB,
MLflow on sqlite, all under one temporary DATA_DIR, plus the demo corpus from datasets/."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ragplatform.settings import Settings

if TYPE_CHECKING:
    from ragplatform.factory import Platform

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO / "datasets"

for _key, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "RAGAS_DO_NOT_TRACK": "true",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_key, _value)


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


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    path = scratch_dir("ragplatform-test-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(data_dir: Path) -> Settings:
    for key in ("DATABASE_URL", "MONGODB_URI", "WEAVIATE_URL", "MLFLOW_TRACKING_URI", "REDIS_URL"):
        os.environ.pop(key, None)
    return make_settings(data_dir)


@pytest.fixture(scope="session")
def platform(settings: Settings) -> Iterator[Platform]:
    """The whole platform on embedded engines, with seed content and a promoted demo index."""
    from ragplatform.db.embedded import stop_embedded_postgres
    from ragplatform.factory import build_platform
    from ragplatform.seed import seed_content
    from ragplatform.spec import IndexSpec

    p = build_platform(settings)
    seed_content(p.content, settings.datasets_dir / "seed")
    p.indexes.ensure_production(IndexSpec())
    yield p
    p.close()
    stop_embedded_postgres(settings.pg_dir)
