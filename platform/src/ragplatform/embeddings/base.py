"""Embedder: text to L2-normalised float32 vectors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """``model_id`` is stable across processes (provider + model name) and keys the embedding cache."""

    @property
    def model_id(self) -> str: ...
    @property
    def dim(self) -> int: ...
    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Shape ``(len(texts), dim)``, float32, rows of unit length. Raises BackendUnavailable."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Shape ``(dim,)``, float32, unit length."""
        ...
