"""An LRU in front of ``embed_query``: one question is embedded once per request path
(FAQ match, knowledge retrieval, user-document retrieval)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from ragplatform.closing import close_quietly
from ragplatform.embeddings.base import Embedder


class QueryCachedEmbedder:
    def __init__(self, inner: Embedder, maxsize: int = 2048) -> None:
        self.inner = inner
        self._maxsize = maxsize
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_documents(texts)

    def close(self) -> None:
        """Closes the wrapped embedder (its HTTP client, or frees the local model)."""
        close_quietly(self.inner)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vector = self.inner.embed_query(text)
        vector.flags.writeable = False
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > self._maxsize:
                self._cache.popitem(last=False)
        return vector
