"""ServingIndex: the retriever for the promoted version, swapped atomically when the alias moves."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ragplatform.embeddings.base import Embedder
from ragplatform.errors import NotFound
from ragplatform.registry.base import PRODUCTION, IndexRegistry, IndexVersion
from ragplatform.retrieval.retriever import Retriever
from ragplatform.spec import EmbeddingSpec
from ragplatform.vectorindex.base import VectorIndex

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    version: IndexVersion
    retriever: Retriever


class ServingIndex:
    """Holds one immutable ``Served`` pair; readers take the reference once per request, so a swap
    never mixes two versions inside one answer and never fails a request in flight."""

    def __init__(
        self,
        registry: IndexRegistry,
        index: VectorIndex,
        embedder_for: Callable[[EmbeddingSpec], Embedder],
    ) -> None:
        """``embedder_for`` gives each version's embedder from its ``spec.embedding``, so a version
        built with a fine-tuned model is queried with that model."""
        self._registry = registry
        self._index = index
        self._embedder_for = embedder_for
        self._current: Served | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watchers = 0

    @property
    def current(self) -> Served:
        served = self._current
        if served is None:
            served = self.refresh()
        if served is None:
            raise NotFound(
                "no index version is promoted to production yet: run `ragplatform up` or promote one"
            )
        return served

    @property
    def version(self) -> str | None:
        return self._current.version.version if self._current else None

    def refresh(self) -> Served | None:
        """Re-resolves the alias; swaps when it moved. Returns what is served now."""
        target = self._registry.resolve(PRODUCTION)
        with self._lock:
            if target is None:
                return self._current
            if self._current is None or self._current.version.version != target.version:
                embedder = self._embedder_for(target.spec.embedding)
                retriever = Retriever(embedder, self._index, target.collection, target.spec.retrieval)
                previous = self._current.version.version if self._current else None
                self._current = Served(target, retriever)
                log.info("serving index version %s (was %s)", target.version, previous)
            return self._current

    def watch(self, interval_s: float) -> None:
        """Polls the alias in a daemon thread until every ``watch()`` has been matched by a ``stop()``
        (several apps may serve one platform)."""
        with self._lock:
            self._watchers += 1
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.refresh()
                except Exception:  # keep serving the current version; the registry may be briefly busy
                    log.warning("could not refresh the production alias", exc_info=True)

        self._thread = threading.Thread(target=loop, name="serving-index-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._watchers = max(0, self._watchers - 1)
            if self._watchers:
                return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
