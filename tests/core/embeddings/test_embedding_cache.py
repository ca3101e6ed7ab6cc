"""EmbeddingCache + CachedEmbedder: persistence across instances, per-model keys, counters, speed."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ragplatform.embeddings.base import Embedder
from ragplatform.embeddings.cache import CachedEmbedder, CacheStats, EmbeddingCache
from ragplatform.schema import text_hash


class HashEmbedder:
    """A deterministic Embedder that records every text it is asked to embed."""

    def __init__(self, model_id: str = "test/hash", dim: int = 16) -> None:
        self.model_id = model_id
        self.dim = dim
        self.calls: list[list[str]] = []

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = [
            np.resize(np.frombuffer(hashlib.sha256(t.encode()).digest(), dtype=np.uint8), self.dim)
            for t in texts
        ]
        vectors = np.asarray(rows, dtype=np.float32) + 1
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    @property
    def embedded(self) -> list[str]:
        return [t for call in self.calls for t in call]


TEXTS = ["alpha", "beta", "gamma", "delta"]


def test_cached_embedder_is_an_embedder(tmp_path: Path) -> None:
    cached = CachedEmbedder(HashEmbedder(), EmbeddingCache(tmp_path / "cache.sqlite"))
    assert isinstance(cached, Embedder)
    assert (cached.model_id, cached.dim) == ("test/hash", 16)


def test_second_instance_on_the_same_file_hits_everything(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    first_inner = HashEmbedder()
    first = CachedEmbedder(first_inner, EmbeddingCache(path))
    vectors = first.embed_documents(TEXTS)
    assert (first.hits, first.misses) == (0, 4)
    assert first_inner.embedded == TEXTS
    first.cache.close()

    second_inner = HashEmbedder()
    second = CachedEmbedder(second_inner, EmbeddingCache(path))
    again = second.embed_documents(TEXTS)
    assert (second.hits, second.misses) == (4, 0)
    assert second_inner.calls == []
    np.testing.assert_array_equal(again, vectors)
    assert again.dtype == np.float32 and again.shape == (4, 16)


def test_only_new_texts_are_embedded_and_order_is_kept(tmp_path: Path) -> None:
    inner = HashEmbedder()
    cached = CachedEmbedder(inner, EmbeddingCache(tmp_path / "cache.sqlite"))
    cached.embed_documents(TEXTS[:2])
    mixed = ["gamma", "alpha", "epsilon", "beta"]
    vectors = cached.embed_documents(mixed)
    assert inner.calls[-1] == ["gamma", "epsilon"]
    np.testing.assert_array_equal(vectors, HashEmbedder().embed_documents(mixed))
    assert cached.stats() == CacheStats(hits=2, misses=4)


def test_a_different_model_id_misses(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    CachedEmbedder(HashEmbedder("model/a"), cache).embed_documents(TEXTS)
    other_inner = HashEmbedder("model/b")
    other = CachedEmbedder(other_inner, cache)
    other.embed_documents(TEXTS)
    assert (other.hits, other.misses) == (0, 4)
    assert other_inner.embedded == TEXTS
    assert cache.count("model/a") == cache.count("model/b") == 4
    assert cache.count() == 8


def test_repeated_texts_in_one_call_are_embedded_once(tmp_path: Path) -> None:
    inner = HashEmbedder()
    cached = CachedEmbedder(inner, EmbeddingCache(tmp_path / "cache.sqlite"))
    vectors = cached.embed_documents(["same", "same", "other"])
    assert inner.embedded == ["same", "other"]
    assert cached.stats() == CacheStats(hits=1, misses=2)
    np.testing.assert_array_equal(vectors[0], vectors[1])


def test_misses_are_embedded_in_batches_and_stored_as_they_go(tmp_path: Path) -> None:
    inner = HashEmbedder()
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    cached = CachedEmbedder(inner, cache, write_batch=3)
    cached.embed_documents([f"t{i}" for i in range(7)])
    assert [len(c) for c in inner.calls] == [3, 3, 1]
    assert cache.count("test/hash") == 7


def test_reset_stats_returns_the_counts_of_a_build(tmp_path: Path) -> None:
    cached = CachedEmbedder(HashEmbedder(), EmbeddingCache(tmp_path / "cache.sqlite"))
    cached.embed_documents(TEXTS)
    assert cached.reset_stats() == CacheStats(hits=0, misses=4)
    cached.embed_documents(TEXTS)
    stats = cached.reset_stats()
    assert stats == CacheStats(hits=4, misses=0) and stats.hit_rate == 1.0
    assert cached.stats() == CacheStats()


def test_queries_bypass_the_cache(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    cached = CachedEmbedder(HashEmbedder(), cache)
    vector = cached.embed_query("what time is it?")
    assert vector.shape == (16,)
    assert cache.count() == 0 and cached.stats() == CacheStats()


def test_empty_input_gives_an_empty_matrix(tmp_path: Path) -> None:
    cached = CachedEmbedder(HashEmbedder(), EmbeddingCache(tmp_path / "cache.sqlite"))
    assert cached.embed_documents([]).shape == (0, 16)


def test_clear_removes_one_model_or_all(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    vec = np.ones(4, dtype=np.float32)
    cache.put_many("a", [(text_hash("x"), vec), (text_hash("y"), vec)])
    cache.put_many("b", [(text_hash("x"), vec)])
    assert cache.clear("a") == 2
    assert set(cache.get_many("b", [text_hash("x"), text_hash("y")])) == {text_hash("x")}
    assert cache.clear() == 1


def test_concurrent_writers_on_separate_connections(tmp_path: Path) -> None:
    """Several connections (as several processes would have) write at once under WAL."""
    path = tmp_path / "cache.sqlite"
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            cache = EmbeddingCache(path)
            for batch in range(10):
                items = [(text_hash(f"{n}-{batch}-{i}"), np.full(8, n, dtype=np.float32)) for i in range(20)]
                cache.put_many("m", items)
            cache.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert EmbeddingCache(path).count("m") == 4 * 10 * 20


def test_a_full_hit_lookup_of_5000_texts_embeds_nothing_and_returns_the_stored_vectors(
    tmp_path: Path,
) -> None:
    """5,000 keys span several batched SELECTs (500 each); every one must come back in order."""
    inner = HashEmbedder(dim=384)
    cached = CachedEmbedder(inner, EmbeddingCache(tmp_path / "cache.sqlite"), write_batch=5000)
    texts = [f"chunk number {i} with some words in it" for i in range(5000)]
    first = cached.embed_documents(texts)
    calls_after_first = len(inner.calls)
    again = cached.embed_documents(texts)
    assert again.shape == (5000, 384) and cached.hits == 5000
    assert len(inner.calls) == calls_after_first
    np.testing.assert_array_equal(again, first)
