"""One embedder per index embedding: the settings' default, and any other model an index names.

An index version records the embedding it was built with (``IndexSpec.embedding``). Building,
evaluating and serving that version must embed queries with the same model, so they ask
``Embedders.for_spec`` instead of using the platform's default embedder: a fine-tuned MiniLM
(``model="finetuned/<name>"`` under the models directory, or an absolute path) is loaded once,
on first use, and shares the persistent cache with every other model (keys include the model id).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ragplatform.closing import close_quietly
from ragplatform.embeddings.base import Embedder
from ragplatform.embeddings.cache import CachedEmbedder, EmbeddingCache
from ragplatform.embeddings.query_cache import QueryCachedEmbedder
from ragplatform.spec import EmbeddingSpec


class Embedders:
    """``for_spec(spec)`` → a CachedEmbedder for that spec, built once and kept."""

    def __init__(
        self,
        default: CachedEmbedder,
        default_spec: EmbeddingSpec,
        make: Callable[[EmbeddingSpec], Embedder],
        cache: EmbeddingCache,
    ) -> None:
        self.default = default
        self._default_key = (default_spec.provider, default_spec.model)
        self._make = make
        self._cache = cache
        self._made: dict[tuple[str, str], CachedEmbedder] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Closes every embedder built here (the default one included) and the shared cache."""
        with self._lock:
            made, self._made = list(self._made.values()), {}
        for embedder in [self.default, *made]:
            close_quietly(embedder)
        close_quietly(self._cache)

    def for_spec(self, spec: EmbeddingSpec) -> CachedEmbedder:
        """The embedder of ``spec``. Raises InvalidInput (unknown provider, model not found)."""
        key = (spec.provider, spec.model)
        if key == self._default_key:
            return self.default
        with self._lock:
            found = self._made.get(key)
            if found is None:
                found = CachedEmbedder(QueryCachedEmbedder(self._make(spec)), self._cache)
                self._made[key] = found
            return found
