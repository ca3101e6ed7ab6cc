"""Reusable contract suite for VectorIndex implementations.

Each implementation's test module subclasses ``VectorIndexContract`` (or a
few of the mixins) and provides one ``vector_index`` fixture. Collections get
unique names (``Test_<hex>``, valid for LanceDB and Weaviate) and are dropped
afterwards, so the suite can run against a shared server.

The seeded collection uses hand-made 4-d unit vectors so that the dense order
for the query ``(1, 0, 0, 0)`` is known: c1 (distance 0), c5 (~0.05, owner
u2), c2 (0.2), c3 (~0.69), c4 (2).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pytest

from ragplatform.errors import Conflict, InvalidInput, NotFound
from ragplatform.schema import Chunk, SearchHit
from ragplatform.vectorindex.base import VectorIndex, VectorQuery

DIM = 4
Q = (1.0, 0.0, 0.0, 0.0)
TRICKY_TEXT = 'He said "don\'t"; DROP TABLE chunks; -- costs $5 \\ back\\slash {"json": 1} %_ zebrafish'
TRICKY_SOURCE = 'it\'s "src" $HOME; DELETE'


def unit(*xs: float) -> np.ndarray:
    v = np.asarray(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def chunk(cid: str, text: str, **kw: Any) -> Chunk:
    kw.setdefault("doc_id", f"doc-{cid}")
    kw.setdefault("owner", "u1")
    kw.setdefault("source", f"{cid}.md")
    return Chunk(id=cid, text=text, **kw)


SEED: list[tuple[Chunk, tuple[float, ...]]] = [
    (
        chunk("c1", "Cats purr when they are happy.", kind="faq", chat_id="chat-a", extra={"page": 1}),
        (1, 0, 0, 0),
    ),
    (chunk("c2", "Our dog loves running in the park every morning.", chat_id="chat-b"), (0.8, 0.6, 0, 0)),
    (chunk("c3", "Quarterly revenue grew by twelve percent.", kind="event"), (0.3, 0.954, 0, 0)),
    (chunk("c4", "The kettle whistles when the water boils."), (-1, 0, 0, 0)),
    (chunk("c5", "Private note about new trail shoes.", owner="u2"), (0.95, 0.31, 0, 0)),
]


def seed_vectors() -> np.ndarray:
    return np.stack([unit(*v) for _, v in SEED])


def ids(hits: list[SearchHit]) -> list[str]:
    return [h.chunk.id for h in hits]


def new_name() -> str:
    return f"Test_{uuid.uuid4().hex[:12]}"


class _Base:
    """Fixtures shared by the mixins; subclasses provide ``vector_index``."""

    #: set False for engines whose keyword search does not stem (Weaviate's default tokenizer)
    supports_stemming: ClassVar[bool] = True

    @pytest.fixture
    def empty(self, vector_index: VectorIndex) -> Iterator[str]:
        name = new_name()
        vector_index.create_collection(name, DIM)
        yield name
        if vector_index.has_collection(name):
            vector_index.drop_collection(name)

    @pytest.fixture
    def seeded(self, vector_index: VectorIndex, empty: str) -> str:
        assert vector_index.upsert(empty, [c for c, _ in SEED], seed_vectors()) == len(SEED)
        return empty

    @staticmethod
    def q(**kw: Any) -> VectorQuery:
        kw.setdefault("vector", unit(*Q))
        return VectorQuery(**kw)


class CollectionContract(_Base):
    def test_create_has_list_drop(self, vector_index: VectorIndex) -> None:
        name = new_name()
        assert not vector_index.has_collection(name)
        vector_index.create_collection(name, DIM)
        try:
            assert vector_index.has_collection(name)
            assert name in vector_index.list_collections()
            assert vector_index.count(name) == 0
        finally:
            vector_index.drop_collection(name)
        assert not vector_index.has_collection(name)
        assert name not in vector_index.list_collections()

    def test_create_existing_is_conflict(self, vector_index: VectorIndex, empty: str) -> None:
        with pytest.raises(Conflict):
            vector_index.create_collection(empty, DIM)

    def test_unknown_collection_is_not_found(self, vector_index: VectorIndex) -> None:
        missing = new_name()
        with pytest.raises(NotFound):
            vector_index.drop_collection(missing)
        with pytest.raises(NotFound):
            vector_index.count(missing)
        with pytest.raises(NotFound):
            vector_index.query(missing, self.q(mode="dense"))
        with pytest.raises(NotFound):
            vector_index.upsert(missing, [chunk("x", "x")], np.stack([unit(*Q)]))

    def test_health_reports_ok(self, vector_index: VectorIndex) -> None:
        health = vector_index.health()
        assert health["ok"] is True
        assert health["engine"]


class WriteContract(_Base):
    def test_upsert_and_count(self, vector_index: VectorIndex, seeded: str) -> None:
        assert vector_index.count(seeded) == len(SEED)
        assert vector_index.count(seeded, {"owner": "u1"}) == 4
        assert vector_index.count(seeded, {"owner": "u2"}) == 1

    def test_upsert_replaces_same_id(self, vector_index: VectorIndex, seeded: str) -> None:
        replaced = chunk("c4", "The kettle now sings a tune.", extra={"version": 2})
        assert vector_index.upsert(seeded, [replaced], np.stack([unit(0, 0, 1, 0)])) == 1
        assert vector_index.count(seeded) == len(SEED)
        hits = vector_index.query(seeded, self.q(vector=unit(0, 0, 1, 0), mode="dense", top_k=1))
        assert hits[0].chunk == replaced

    def test_duplicate_ids_in_one_batch_keep_the_last(self, vector_index: VectorIndex, empty: str) -> None:
        batch = [chunk("d", "first version"), chunk("d", "second version")]
        vector_index.upsert(empty, batch, np.stack([unit(*Q), unit(*Q)]))
        assert vector_index.count(empty) == 1
        assert vector_index.query(empty, self.q(mode="dense"))[0].chunk.text == "second version"

    def test_upsert_shape_mismatch_is_invalid(self, vector_index: VectorIndex, empty: str) -> None:
        with pytest.raises(InvalidInput):
            vector_index.upsert(empty, [chunk("a", "a")], np.zeros((2, DIM), dtype=np.float32))
        with pytest.raises(InvalidInput):
            vector_index.upsert(empty, [chunk("a", "a")], np.stack([unit(1, 0, 0, 0, 0)]))

    def test_delete_by_filter(self, vector_index: VectorIndex, seeded: str) -> None:
        assert vector_index.delete(seeded, {"doc_id": ["doc-c1", "doc-c2"]}) == 2
        assert vector_index.count(seeded) == len(SEED) - 2
        assert vector_index.delete(seeded, {"owner": "nobody"}) == 0
        hits = vector_index.query(seeded, self.q(mode="dense", top_k=10))
        assert "c1" not in ids(hits) and "c2" not in ids(hits)

    def test_delete_refuses_empty_filters(self, vector_index: VectorIndex, seeded: str) -> None:
        with pytest.raises(InvalidInput):
            vector_index.delete(seeded, {})
        assert vector_index.count(seeded) == len(SEED)


class DenseContract(_Base):
    def test_dense_order_and_scores(self, vector_index: VectorIndex, seeded: str) -> None:
        hits = vector_index.query(seeded, self.q(mode="dense", top_k=10, filters={"owner": "u1"}))
        assert ids(hits) == ["c1", "c2", "c3", "c4"]
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)
        distances = [h.distance for h in hits]
        assert all(d is not None for d in distances)
        assert distances[0] == pytest.approx(0.0, abs=1e-5)
        assert distances[1] == pytest.approx(0.2, abs=1e-4)
        assert distances[3] == pytest.approx(2.0, abs=1e-4)

    def test_chunk_round_trips(self, vector_index: VectorIndex, seeded: str) -> None:
        hit = vector_index.query(seeded, self.q(mode="dense", top_k=1))[0]
        assert hit.chunk == SEED[0][0]

    def test_top_k_bounds_results(self, vector_index: VectorIndex, seeded: str) -> None:
        assert ids(vector_index.query(seeded, self.q(mode="dense", top_k=2))) == ["c1", "c5"]

    def test_distance_threshold_drops_far_hits(self, vector_index: VectorIndex, seeded: str) -> None:
        hits = vector_index.query(seeded, self.q(mode="dense", top_k=10, distance_threshold=0.5))
        assert ids(hits) == ["c1", "c5", "c2"]
        assert all(h.distance is not None and h.distance <= 0.5 for h in hits)

    def test_empty_collection_returns_nothing(self, vector_index: VectorIndex, empty: str) -> None:
        assert vector_index.query(empty, self.q(mode="dense")) == []


class KeywordContract(_Base):
    def test_exact_term(self, vector_index: VectorIndex, seeded: str) -> None:
        hits = vector_index.query(seeded, VectorQuery(text="kettle", mode="keyword"))
        assert ids(hits) == ["c4"]
        assert hits[0].score > 0

    def test_stemmed_variant(self, vector_index: VectorIndex, seeded: str) -> None:
        if not self.supports_stemming:
            pytest.skip("this engine's keyword search does not stem")
        hits = vector_index.query(seeded, VectorQuery(text="run", mode="keyword"))
        assert ids(hits) == ["c2"]

    def test_keyword_sees_new_rows_at_once(self, vector_index: VectorIndex, seeded: str) -> None:
        new = chunk("n1", "A freshly uploaded memo about glaciers.", owner="u9")
        vector_index.upsert(seeded, [new], np.stack([unit(0, 0, 0, 1)]))
        hits = vector_index.query(
            seeded, VectorQuery(text="glaciers", mode="keyword", filters={"owner": "u9"})
        )
        assert ids(hits) == ["n1"]

    def test_no_match_is_empty(self, vector_index: VectorIndex, seeded: str) -> None:
        assert vector_index.query(seeded, VectorQuery(text="xylophone", mode="keyword")) == []


class HybridContract(_Base):
    def test_rrf_promotes_chunk_found_by_both(self, vector_index: VectorIndex, seeded: str) -> None:
        hits = vector_index.query(seeded, self.q(text="revenue", mode="hybrid", fusion="rrf", top_k=5))
        assert hits[0].chunk.id == "c3"
        assert "c1" in ids(hits)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)

    def test_alpha_one_follows_dense(self, vector_index: VectorIndex, seeded: str) -> None:
        hits = vector_index.query(seeded, self.q(text="revenue", mode="hybrid", fusion="alpha", alpha=1.0))
        assert hits[0].chunk.id == "c1"

    def test_alpha_zero_follows_keyword(self, vector_index: VectorIndex, seeded: str) -> None:
        hits = vector_index.query(seeded, self.q(text="revenue", mode="hybrid", fusion="alpha", alpha=0.0))
        assert hits[0].chunk.id == "c3"

    def test_hybrid_threshold_keeps_keyword_hits(self, vector_index: VectorIndex, seeded: str) -> None:
        query = self.q(text="kettle", mode="hybrid", top_k=10, distance_threshold=0.5)
        found = ids(vector_index.query(seeded, query))
        assert set(found) == {"c1", "c5", "c2", "c4"}  # c4 by keyword only; c3 is too far and no match

    def test_hybrid_top_k(self, vector_index: VectorIndex, seeded: str) -> None:
        assert len(vector_index.query(seeded, self.q(text="revenue", mode="hybrid", top_k=2))) == 2


class FilterContract(_Base):
    def test_equality(self, vector_index: VectorIndex, seeded: str) -> None:
        hits = vector_index.query(seeded, self.q(mode="dense", top_k=10, filters={"kind": "event"}))
        assert ids(hits) == ["c3"]

    def test_list_of_values(self, vector_index: VectorIndex, seeded: str) -> None:
        hits = vector_index.query(
            seeded, self.q(mode="dense", top_k=10, filters={"chat_id": ["chat-a", "chat-b"]})
        )
        assert ids(hits) == ["c1", "c2"]

    def test_several_fields_are_anded(self, vector_index: VectorIndex, seeded: str) -> None:
        hits = vector_index.query(
            seeded, self.q(mode="dense", top_k=10, filters={"owner": "u1", "kind": ["faq", "event"]})
        )
        assert ids(hits) == ["c1", "c3"]

    def test_empty_string_value(self, vector_index: VectorIndex, seeded: str) -> None:
        # User documents outside any chat have chat_id "" and are found with it.
        assert vector_index.count(seeded, {"chat_id": ""}) == 3
        hits = vector_index.query(
            seeded, self.q(mode="dense", top_k=10, filters={"owner": "u1", "chat_id": ["", "chat-a"]})
        )
        assert ids(hits) == ["c1", "c3", "c4"]

    @pytest.mark.parametrize("mode", ["dense", "keyword", "hybrid"])
    def test_owner_isolation(self, vector_index: VectorIndex, seeded: str, mode: str) -> None:
        query = self.q(text="shoes note trail", mode=mode, top_k=10, filters={"owner": "u1"})
        assert "c5" not in ids(vector_index.query(seeded, query))
        query = self.q(text="shoes note trail", mode=mode, top_k=10, filters={"owner": "u2"})
        assert ids(vector_index.query(seeded, query)) == ["c5"]


class ValidationContract(_Base):
    def test_top_k_zero(self, vector_index: VectorIndex, seeded: str) -> None:
        with pytest.raises(InvalidInput, match="top_k"):
            vector_index.query(seeded, self.q(mode="dense", top_k=0))

    def test_filter_on_unknown_field(self, vector_index: VectorIndex, seeded: str) -> None:
        with pytest.raises(InvalidInput, match="cannot filter"):
            vector_index.query(seeded, self.q(mode="dense", filters={"text": "x"}))
        with pytest.raises(InvalidInput):
            vector_index.count(seeded, {"vector": "x"})

    def test_mode_needs_its_inputs(self, vector_index: VectorIndex, seeded: str) -> None:
        with pytest.raises(InvalidInput):
            vector_index.query(seeded, VectorQuery(text="cats", mode="dense"))
        with pytest.raises(InvalidInput):
            vector_index.query(seeded, self.q(text="  ", mode="keyword"))


class VerbatimContract(_Base):
    def test_special_characters_stored_and_found_verbatim(
        self, vector_index: VectorIndex, empty: str
    ) -> None:
        tricky = chunk(
            "t1", TRICKY_TEXT, source=TRICKY_SOURCE, title="O'Brien's \"notes\"", extra={"q": "'\""}
        )
        other = chunk("t2", "Nothing special here.", source="plain")
        vector_index.upsert(empty, [tricky, other], np.stack([unit(1, 0, 0, 0), unit(0, 1, 0, 0)]))
        hits = vector_index.query(empty, VectorQuery(text="zebrafish", mode="keyword"))
        assert [h.chunk for h in hits] == [tricky]
        hits = vector_index.query(empty, VectorQuery(text=TRICKY_TEXT, mode="keyword"))
        assert hits and hits[0].chunk == tricky
        hits = vector_index.query(empty, self.q(mode="dense", filters={"source": TRICKY_SOURCE}))
        assert [h.chunk for h in hits] == [tricky]
        assert vector_index.count(empty, {"title": ["O'Brien's \"notes\"", "x' OR '1'='1"]}) == 1
        assert vector_index.count(empty, {"source": "x' OR '1'='1"}) == 0
        assert vector_index.delete(empty, {"source": TRICKY_SOURCE}) == 1
        assert vector_index.count(empty) == 1


class AliasContract(_Base):
    def test_set_resolve_move(self, vector_index: VectorIndex, seeded: str) -> None:
        alias = new_name()
        assert vector_index.resolve_alias(alias) is None
        vector_index.set_alias(alias, seeded)
        assert vector_index.resolve_alias(alias) == seeded
        other = new_name()
        vector_index.create_collection(other, DIM)
        try:
            vector_index.set_alias(alias, other)
            assert vector_index.resolve_alias(alias) == other
            vector_index.set_alias(alias, seeded)
            assert vector_index.resolve_alias(alias) == seeded
        finally:
            vector_index.drop_collection(other)

    def test_query_through_alias(self, vector_index: VectorIndex, seeded: str) -> None:
        alias = new_name()
        vector_index.set_alias(alias, seeded)
        assert ids(vector_index.query(alias, self.q(mode="dense", top_k=1))) == ["c1"]
        assert vector_index.count(alias) == len(SEED)

    def test_alias_to_unknown_collection(self, vector_index: VectorIndex) -> None:
        with pytest.raises(NotFound):
            vector_index.set_alias(new_name(), new_name())


class VectorIndexContract(
    CollectionContract,
    WriteContract,
    DenseContract,
    KeywordContract,
    HybridContract,
    FilterContract,
    ValidationContract,
    VerbatimContract,
    AliasContract,
):
    """Every contract at once."""
