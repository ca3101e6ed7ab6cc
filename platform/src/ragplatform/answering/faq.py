"""Direct FAQ answers: an active FAQ item whose question is close enough answers by itself."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from ragplatform.content.base import ContentStore, FaqItem
from ragplatform.embeddings.base import Embedder


@dataclass(frozen=True)
class FaqMatch:
    item: FaqItem
    distance: float


class FaqMatcher:
    """Embeds the active FAQ questions once per change of the FAQ table (keyed by id + updated_at)."""

    def __init__(self, content: ContentStore, embedder: Embedder, max_distance: float) -> None:
        self._content = content
        self._embedder = embedder
        self.max_distance = max_distance
        self._key: tuple[tuple[int, str], ...] = ()
        self._items: list[FaqItem] = []
        self._matrix = np.zeros((0, embedder.dim), dtype=np.float32)
        self._lock = threading.Lock()

    def _refresh(self) -> tuple[list[FaqItem], np.ndarray]:
        items = self._content.list_faqs(skip=0, limit=1000, active_only=True)
        key = tuple((i.id, i.updated_at.isoformat()) for i in items)
        with self._lock:
            if key != self._key:
                matrix = (
                    self._embedder.embed_documents([i.question for i in items])
                    if items
                    else np.zeros((0, self._embedder.dim), dtype=np.float32)
                )
                self._key, self._items, self._matrix = key, items, matrix
            return self._items, self._matrix

    def match(self, query_vector: np.ndarray) -> FaqMatch | None:
        items, matrix = self._refresh()
        if not items:
            return None
        distances = 1.0 - matrix @ query_vector
        best = int(np.argmin(distances))
        distance = float(distances[best])
        return FaqMatch(items[best], distance) if distance <= self.max_distance else None
