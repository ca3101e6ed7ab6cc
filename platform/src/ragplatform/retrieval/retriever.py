"""Query-time retrieval: text in, scored chunks out, with the time spent on each step.

``Retriever`` searches one collection with an index version's retrieval
defaults (``RetrievalSpec``), each overridable per call. ``MultiRetriever``
serves a user: it searches the knowledge index and that user's documents
with one query embedding and merges both lists by score.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ragplatform.embeddings.base import Embedder
from ragplatform.errors import NotFound
from ragplatform.schema import SearchHit
from ragplatform.spec import RetrievalSpec
from ragplatform.vectorindex.base import Filters, Fusion, SearchMode, VectorIndex, VectorQuery

_PLACEHOLDER = np.zeros(1, dtype=np.float32)  # lets validate() run before the (costly) embedding


@dataclass(frozen=True)
class RetrievalResult:
    """Hits best first, and where the time went (milliseconds)."""

    hits: list[SearchHit]
    embed_ms: float
    search_ms: float
    total_ms: float


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def merge_hits(hit_lists: Iterable[Sequence[SearchHit]], top_k: int) -> list[SearchHit]:
    """Merge result lists by score, best first, one hit per chunk id, at most ``top_k``."""
    best: dict[str, SearchHit] = {}
    for hits in hit_lists:
        for hit in hits:
            seen = best.get(hit.chunk.id)
            if seen is None or hit.score > seen.score:
                best[hit.chunk.id] = hit
    return sorted(best.values(), key=lambda h: h.score, reverse=True)[:top_k]


class Retriever:
    """Searches one collection (or alias) of ``index`` with ``defaults`` as the per-call defaults."""

    def __init__(
        self,
        embedder: Embedder,
        index: VectorIndex,
        collection: str,
        defaults: RetrievalSpec | None = None,
    ) -> None:
        self.embedder = embedder
        self.index = index
        self.collection = collection
        self.defaults = defaults or RetrievalSpec()

    def build_query(
        self,
        text: str,
        *,
        mode: SearchMode | None = None,
        top_k: int | None = None,
        alpha: float | None = None,
        fusion: Fusion | None = None,
        distance_threshold: float | None = None,
        filters: Filters | None = None,
    ) -> VectorQuery:
        """The validated query, without its vector yet. Call filters override default filters per field.

        Raises InvalidInput naming the bad value (``top_k must be between 1 and 100, got 0``).
        """
        d = self.defaults
        merged: dict[str, str | Sequence[str]] = dict(d.filters)
        merged.update(filters or {})
        query = VectorQuery(
            text=text,
            mode=mode or d.mode,
            top_k=d.top_k if top_k is None else top_k,
            alpha=d.alpha if alpha is None else alpha,
            fusion=fusion or d.fusion,
            rrf_k=d.rrf_k,
            distance_threshold=d.distance_threshold if distance_threshold is None else distance_threshold,
            filters=merged,
        )
        dataclasses.replace(query, vector=_PLACEHOLDER).validate()
        return query

    @staticmethod
    def needs_vector(query: VectorQuery) -> bool:
        return query.mode in ("dense", "hybrid")

    def embed(self, query: VectorQuery) -> tuple[VectorQuery, float]:
        """The query with its vector (when its mode needs one) and the milliseconds spent. Raises BackendUnavailable."""
        if not self.needs_vector(query):
            return query, 0.0
        start = time.perf_counter()
        vector = self.embedder.embed_query(query.text)
        return dataclasses.replace(query, vector=vector), _ms_since(start)

    def run(self, query: VectorQuery) -> list[SearchHit]:
        """Run a built (and embedded) query on this retriever's collection."""
        return self.index.query(self.collection, query)

    def search(
        self,
        text: str,
        *,
        mode: SearchMode | None = None,
        top_k: int | None = None,
        alpha: float | None = None,
        fusion: Fusion | None = None,
        distance_threshold: float | None = None,
        filters: Filters | None = None,
    ) -> RetrievalResult:
        """Search with the defaults, overridden by any argument given.

        Raises InvalidInput (bad value, before anything is embedded), NotFound
        (collection gone), BackendUnavailable (embedder or engine down).
        """
        start = time.perf_counter()
        query = self.build_query(
            text,
            mode=mode,
            top_k=top_k,
            alpha=alpha,
            fusion=fusion,
            distance_threshold=distance_threshold,
            filters=filters,
        )
        query, embed_ms = self.embed(query)
        search_start = time.perf_counter()
        hits = self.run(query)
        search_ms = _ms_since(search_start)
        return RetrievalResult(hits=hits, embed_ms=embed_ms, search_ms=search_ms, total_ms=_ms_since(start))


def user_filters(owner: str, chat_id: str | None = None) -> dict[str, str | list[str]]:
    """A user's documents: their knowledge base (no chat), plus the given chat's uploads."""
    return {"owner": owner, "chat_id": "" if chat_id is None else ["", chat_id]}


class MultiRetriever:
    """Knowledge index plus one user's documents, merged by score (the design's "retrieval for a user").

    Both collections share the embedder, so the query is embedded once. A
    missing user-documents collection (nobody uploaded yet) counts as empty.
    """

    def __init__(self, knowledge: Retriever, user_documents: Retriever) -> None:
        self.knowledge = knowledge
        self.user_documents = user_documents
        self._same_model = knowledge.embedder.model_id == user_documents.embedder.model_id

    def search(
        self,
        text: str,
        *,
        owner: str | None,
        chat_id: str | None = None,
        mode: SearchMode | None = None,
        top_k: int | None = None,
        alpha: float | None = None,
        fusion: Fusion | None = None,
        distance_threshold: float | None = None,
        filters: Mapping[str, str | Sequence[str]] | None = None,
    ) -> RetrievalResult:
        """Best ``top_k`` over both collections; ``owner=None`` (anonymous) searches the knowledge index only.

        ``filters`` apply to the knowledge index. Raises InvalidInput, NotFound
        (knowledge collection gone), BackendUnavailable.
        """
        start = time.perf_counter()
        kq = self.knowledge.build_query(
            text,
            mode=mode,
            top_k=top_k,
            alpha=alpha,
            fusion=fusion,
            distance_threshold=distance_threshold,
            filters=filters,
        )
        uq = None
        if owner is not None:
            uq = self.user_documents.build_query(
                text,
                mode=mode,
                top_k=top_k,
                alpha=alpha,
                fusion=fusion,
                distance_threshold=distance_threshold,
                filters=user_filters(owner, chat_id),
            )
        kq, embed_ms = self.knowledge.embed(kq)
        if uq is not None:
            if kq.vector is not None and self._same_model and Retriever.needs_vector(uq):
                uq = dataclasses.replace(uq, vector=kq.vector)
            else:
                uq, user_embed_ms = self.user_documents.embed(uq)
                embed_ms += user_embed_ms
        search_start = time.perf_counter()
        lists = [self.knowledge.run(kq)]
        if uq is not None:
            with contextlib.suppress(NotFound):  # no uploads yet: no user-documents collection
                lists.append(self.user_documents.run(uq))
        hits = merge_hits(lists, kq.top_k)
        search_ms = _ms_since(search_start)
        return RetrievalResult(hits=hits, embed_ms=embed_ms, search_ms=search_ms, total_ms=_ms_since(start))
