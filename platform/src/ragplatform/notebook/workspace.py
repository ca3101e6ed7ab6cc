"""Where a notebook works: the project folder, its engines (Settings) and progress bars."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ragplatform.progress import Progress
from ragplatform.settings import LLMSettings, Settings

# Libraries the platform loads import tqdm.auto, which warns in Jupyter without ipywidgets; the
# notebooks use text bars (progress_bars), so the warning only confuses.
warnings.filterwarnings("ignore", message="IProgress not found")


def repo_root(start: Path | None = None) -> Path:
    """The project folder (the one holding ``pyproject.toml`` and ``datasets/``), searched upward
    from ``start`` (default: the working directory, ``notebooks/`` in Jupyter). Raises
    FileNotFoundError outside the project."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "datasets").is_dir():
            return folder
    raise FileNotFoundError(f"no ragplatform project (pyproject.toml + datasets/) at or above {here}")


def default_beir_dir() -> Path:
    """SciFact's train split, read where it lies (``../shared/data/scifact`` from the project)."""
    return repo_root().parent / "shared" / "data" / "scifact"


def notebook_settings(data_dir: str | Path | None = None, experiment: str = "rag-index") -> Settings:
    """Settings for a notebook; its MLflow runs go to ``experiment``.

    Without ``data_dir``: the project's own engines, exactly as ``make run`` and ``ragserve`` see
    them (the project's ``.env`` and environment, relative paths from the project folder), so a
    promotion reaches the served API. With ``data_dir``: a scratch platform there, on embedded
    engines only (no URL from the environment is used) and extractive answers; for CI and trials.
    """
    root = repo_root()
    if data_dir:
        return Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=Path(data_dir).expanduser().resolve(),
            datasets_dir=root / "datasets",
            promotion_gate=root / "evals" / "promotion.yaml",
            database_url=None,
            mongodb_uri=None,
            weaviate_url=None,
            mlflow_tracking_uri=None,
            redis_url=None,
            mlflow_experiment=experiment,
            llm=LLMSettings(providers=["extractive"]),
        )
    base = Settings(_env_file=root / ".env")  # type: ignore[call-arg]

    def absolute(path: Path) -> Path:
        return path if path.is_absolute() else root / path

    return base.model_copy(
        update={
            "data_dir": absolute(base.data_dir),
            "datasets_dir": absolute(base.datasets_dir),
            "promotion_gate": absolute(base.promotion_gate) if base.promotion_gate else None,
            "mlflow_experiment": experiment,
        }
    )


@contextmanager
def progress_bars() -> Iterator[Progress]:
    """A text progress bar per stage (load, embed, write, evaluate, ...) in the cell's output,
    fed by the ``progress`` callback of ``IndexManager.build`` and ``evaluate``. Stages come one
    after another: a new stage closes the bar of the previous one."""
    from tqdm.std import tqdm

    bars: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = bars[stage] = tqdm(total=total, desc=f"{stage:<9}", file=sys.stdout, mininterval=0.5)
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        yield update
    finally:
        for bar in bars.values():
            bar.close()
