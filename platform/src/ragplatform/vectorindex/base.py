"""VectorIndex: collections of chunks with dense, keyword (BM25) and hybrid search."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from ragplatform.errors import InvalidInput
from ragplatform.schema import FILTERABLE_FIELDS, Chunk, SearchHit

SearchMode = Literal["dense", "keyword", "hybrid"]
Fusion = Literal["alpha", "rrf"]

MAX_TOP_K = 100

# A filter maps a filterable field to a value (equality) or a list of values (any of).
Filters = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True)
class VectorQuery:
    """One search. ``vector`` is needed for dense/hybrid, ``text`` for keyword/hybrid.

    Hybrid fuses the two result lists: ``alpha`` fusion scores
    ``alpha * dense + (1 - alpha) * keyword`` on min-max normalised scores;
    ``rrf`` scores ``sum 1 / (rrf_k + rank)``. ``distance_threshold`` drops
    dense candidates whose cosine distance is above it (keyword-only hits
    are kept in hybrid mode).
    """

    text: str = ""
    vector: np.ndarray | None = None
    mode: SearchMode = "hybrid"
    top_k: int = 5
    alpha: float = 0.5
    fusion: Fusion = "rrf"
    rrf_k: int = 60
    distance_threshold: float | None = None
    filters: Filters = field(default_factory=dict)

    def validate(self) -> None:
        """Raises InvalidInput naming the bad value and the allowed range."""
        if not 1 <= self.top_k <= MAX_TOP_K:
            raise InvalidInput(
                f"top_k must be between 1 and {MAX_TOP_K}, got {self.top_k}", field="top_k", value=self.top_k
            )
        if not 0.0 <= self.alpha <= 1.0:
            raise InvalidInput(
                f"alpha must be between 0 and 1, got {self.alpha}", field="alpha", value=self.alpha
            )
        if self.rrf_k < 1:
            raise InvalidInput(f"rrf_k must be at least 1, got {self.rrf_k}", field="rrf_k", value=self.rrf_k)
        if self.distance_threshold is not None and not 0.0 <= self.distance_threshold <= 2.0:
            raise InvalidInput(
                f"distance_threshold must be between 0 and 2 (cosine distance), got {self.distance_threshold}",
                field="distance_threshold",
                value=self.distance_threshold,
            )
        if self.mode in ("dense", "hybrid") and self.vector is None:
            raise InvalidInput(f"mode {self.mode!r} needs a query vector", field="vector")
        if self.mode in ("keyword", "hybrid") and not self.text.strip():
            raise InvalidInput(f"mode {self.mode!r} needs query text", field="text")
        for key in self.filters:
            if key not in FILTERABLE_FIELDS:
                raise InvalidInput(
                    f"cannot filter on {key!r}; filterable fields: {', '.join(FILTERABLE_FIELDS)}",
                    field="filters",
                    value=key,
                )


@runtime_checkable
class VectorIndex(Protocol):
    """Named collections of chunks. Vectors are float32, L2-normalised, cosine distance.

    Unknown collections raise ``NotFound``; creating an existing one raises ``Conflict``.
    """

    engine: str  # "lancedb" | "weaviate": what IndexSpec.engine names

    def create_collection(self, name: str, dim: int) -> None: ...
    def drop_collection(self, name: str) -> None: ...
    def has_collection(self, name: str) -> bool: ...
    def list_collections(self) -> list[str]: ...
    def upsert(self, collection: str, chunks: Sequence[Chunk], vectors: np.ndarray) -> int:
        """Insert or replace chunks by id; returns how many were written."""
        ...

    def delete(self, collection: str, filters: Filters) -> int:
        """Delete the chunks matching ``filters`` (refuses empty filters); returns how many."""
        ...

    def count(self, collection: str, filters: Filters | None = None) -> int: ...
    def query(self, collection: str, query: VectorQuery) -> list[SearchHit]:
        """Best first; at most ``query.top_k`` hits."""
        ...

    def set_alias(self, alias: str, collection: str) -> None: ...
    def resolve_alias(self, alias: str) -> str | None: ...
    def health(self) -> dict[str, Any]: ...
