"""Retriever and MultiRetriever over a real LanceDB directory and the local MiniLM embedder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ragplatform.embeddings.base import Embedder
from ragplatform.embeddings.local import LocalEmbedder
from ragplatform.errors import InvalidInput
from ragplatform.retrieval.retriever import MultiRetriever, Retriever, merge_hits, user_filters
from ragplatform.schema import Chunk, SearchHit
from ragplatform.spec import RetrievalSpec
from ragplatform.vectorindex.lancedb import LanceDBVectorIndex

KNOWLEDGE = [
    Chunk(
        id="k1",
        doc_id="faq",
        text="To reset your password, open Settings and choose 'Forgot password'.",
        kind="faq",
    ),
    Chunk(
        id="k2", doc_id="faq", text="The library opens at 8 am and closes at 10 pm on weekdays.", kind="faq"
    ),
    Chunk(
        id="k3",
        doc_id="events",
        text="The spring concert takes place in the main hall on May 3rd.",
        kind="event",
    ),
    Chunk(
        id="k4",
        doc_id="contacts",
        text="In a medical emergency call campus security at extension 5555.",
        kind="contact",
    ),
    Chunk(
        id="k5",
        doc_id="guide",
        text="Printing costs ten cents per page; pay with your student card.",
        kind="file",
    ),
]
USER_DOCS = [
    Chunk(id="u1-kb", doc_id="d1", text="My thesis studies coral reef bleaching in warm oceans.", owner="u1"),
    Chunk(
        id="u1-chat",
        doc_id="d2",
        text="Notes on coral spawning seen in the lab tank.",
        owner="u1",
        chat_id="c1",
    ),
    Chunk(
        id="u1-other", doc_id="d3", text="Coral photos from another conversation.", owner="u1", chat_id="c2"
    ),
    Chunk(id="u2-kb", doc_id="d4", text="Coral reef survey results from the second user.", owner="u2"),
]


class CountingEmbedder:
    """Wraps an embedder and counts query embeddings."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.queries = 0

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        self.queries += 1
        return self.inner.embed_query(text)


@pytest.fixture(scope="module")
def local_embedder() -> LocalEmbedder:
    return LocalEmbedder()


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, local_embedder: LocalEmbedder) -> LanceDBVectorIndex:
    idx = LanceDBVectorIndex(Path(tmp_path_factory.mktemp("retrieval")) / "lancedb")
    for name, chunks in (("knowledge", KNOWLEDGE), ("userdocs", USER_DOCS)):
        idx.create_collection(name, local_embedder.dim)
        idx.upsert(name, chunks, local_embedder.embed_documents([c.text for c in chunks]))
    return idx


@pytest.fixture
def embedder(local_embedder: LocalEmbedder) -> CountingEmbedder:
    return CountingEmbedder(local_embedder)


def ids(hits: list[SearchHit]) -> list[str]:
    return [h.chunk.id for h in hits]


def test_dense_search_finds_the_relevant_chunk(embedder: CountingEmbedder, index: LanceDBVectorIndex) -> None:
    retriever = Retriever(embedder, index, "knowledge", RetrievalSpec(mode="dense", top_k=3))
    result = retriever.search("I forgot my login password, how can I change it?")
    assert result.hits[0].chunk.id == "k1"
    assert len(result.hits) == 3
    assert embedder.queries == 1
    assert result.embed_ms > 0 and result.search_ms > 0
    assert result.total_ms >= result.embed_ms + result.search_ms


def test_hybrid_default_and_keyword_override(embedder: CountingEmbedder, index: LanceDBVectorIndex) -> None:
    retriever = Retriever(embedder, index, "knowledge", RetrievalSpec())
    assert retriever.search("when is the concert?").hits[0].chunk.id == "k3"
    result = retriever.search("printing", mode="keyword")
    assert ids(result.hits) == ["k5"]
    assert embedder.queries == 1  # keyword mode embeds nothing
    assert result.embed_ms == 0.0


def test_alpha_fusion_override(embedder: CountingEmbedder, index: LanceDBVectorIndex) -> None:
    retriever = Retriever(embedder, index, "knowledge", RetrievalSpec(fusion="rrf"))
    hits = retriever.search("emergency phone number", fusion="alpha", alpha=0.7).hits
    assert hits[0].chunk.id == "k4"


def test_invalid_values_fail_before_embedding(embedder: CountingEmbedder, index: LanceDBVectorIndex) -> None:
    retriever = Retriever(embedder, index, "knowledge")
    with pytest.raises(InvalidInput, match="top_k must be between 1 and 100, got 0"):
        retriever.search("password", top_k=0)
    with pytest.raises(InvalidInput, match="alpha"):
        retriever.search("password", alpha=1.5)
    with pytest.raises(InvalidInput, match="cannot filter"):
        retriever.search("password", filters={"text": "x"})
    with pytest.raises(InvalidInput, match="needs query text"):
        retriever.search("   ", mode="keyword")
    assert embedder.queries == 0


def test_default_filters_merge_with_call_filters(
    embedder: CountingEmbedder, index: LanceDBVectorIndex
) -> None:
    retriever = Retriever(
        embedder, index, "knowledge", RetrievalSpec(mode="dense", top_k=10, filters=(("kind", "faq"),))
    )
    assert set(ids(retriever.search("opening hours").hits)) == {"k1", "k2"}
    assert ids(retriever.search("opening hours", filters={"kind": "event"}).hits) == ["k3"]


def test_distance_threshold_override(embedder: CountingEmbedder, index: LanceDBVectorIndex) -> None:
    retriever = Retriever(embedder, index, "knowledge", RetrievalSpec(mode="dense", top_k=10))
    hits = retriever.search("When does the library open in the morning?", distance_threshold=0.6).hits
    assert ids(hits)[0] == "k2"
    assert all(h.distance is not None and h.distance <= 0.6 for h in hits)
    assert len(hits) < len(KNOWLEDGE)


def test_retriever_through_an_alias(embedder: CountingEmbedder, index: LanceDBVectorIndex) -> None:
    index.set_alias("production", "knowledge")
    retriever = Retriever(embedder, index, "production", RetrievalSpec(mode="dense", top_k=1))
    assert ids(retriever.search("reset password").hits) == ["k1"]


def _multi(
    embedder: Embedder, index: LanceDBVectorIndex, user_collection: str = "userdocs"
) -> MultiRetriever:
    spec = RetrievalSpec(mode="dense", top_k=4)
    return MultiRetriever(
        Retriever(embedder, index, "knowledge", spec), Retriever(embedder, index, user_collection, spec)
    )


def test_multi_merges_own_documents_by_score(embedder: CountingEmbedder, index: LanceDBVectorIndex) -> None:
    result = _multi(embedder, index).search("coral reef research", owner="u1")
    found = ids(result.hits)
    assert found[0] == "u1-kb"
    assert "u2-kb" not in found and "u1-chat" not in found and "u1-other" not in found
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)
    assert len(result.hits) == 4
    assert embedder.queries == 1  # one embedding for both collections


def test_multi_in_a_chat_adds_that_chats_uploads(
    embedder: CountingEmbedder, index: LanceDBVectorIndex
) -> None:
    found = ids(_multi(embedder, index).search("coral", owner="u1", chat_id="c1").hits)
    assert {"u1-kb", "u1-chat"} <= set(found)
    assert "u1-other" not in found and "u2-kb" not in found


def test_multi_anonymous_and_missing_user_collection(
    embedder: CountingEmbedder, index: LanceDBVectorIndex
) -> None:
    assert all(h.chunk.id.startswith("k") for h in _multi(embedder, index).search("coral", owner=None).hits)
    hits = _multi(embedder, index, user_collection="nobody_uploaded_yet").search("password", owner="u1").hits
    assert hits[0].chunk.id == "k1"


def test_merge_hits_dedupes_and_bounds() -> None:
    a, b, c = (Chunk(id=i, doc_id="d", text=i) for i in "abc")
    merged = merge_hits(
        [[SearchHit(a, 0.5), SearchHit(b, 0.9)], [SearchHit(a, 0.7), SearchHit(c, 0.1)]], top_k=2
    )
    assert [(h.chunk.id, h.score) for h in merged] == [("b", 0.9), ("a", 0.7)]


def test_user_filters() -> None:
    assert user_filters("u1") == {"owner": "u1", "chat_id": ""}
    assert user_filters("u1", "c9") == {"owner": "u1", "chat_id": ["", "c9"]}
