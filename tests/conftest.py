"""Session-scoped fixtures that start real engines: embedded PostgreSQL (pgserver), LanceDB,
MLflow on sqlite, all under one temporary DATA_DIR, plus the demo corpus from datasets/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ragplatform.settings import Settings
from settings_support import make_settings, scratch_dir

if TYPE_CHECKING:
    from ragplatform.factory import Platform


for _key, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "RAGAS_DO_NOT_TRACK": "true",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_key, _value)


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
