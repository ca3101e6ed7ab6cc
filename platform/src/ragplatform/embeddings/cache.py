"""A persistent embedding cache: (model id, text hash) → float32 vector, in SQLite.

Changing top_k or alpha never re-embeds, and changing the chunk size re-embeds
only the chunks whose text is new. SQLite in WAL mode lets several processes
(notebook, server, CLI) read while one writes; writes wait up to
``busy_timeout`` for each other.

Queries are not cached (CachedEmbedder.embed_query goes straight to the inner
embedder): they are rarely repeated, their latency matters, and user questions
should not pile up on disk.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ragplatform.closing import close_quietly
from ragplatform.embeddings.base import Embedder
from ragplatform.errors import BackendUnavailable
from ragplatform.schema import text_hash

_LOOKUP_BATCH = 500  # keys per SELECT ... IN (...); under SQLite's variable limit everywhere

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    model_id TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model_id, text_hash)
) WITHOUT ROWID
"""


class EmbeddingCache:
    """Vectors by (model id, text hash) in one SQLite file; safe across threads and processes."""

    def __init__(self, path: Path, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                self.path, timeout=busy_timeout_s, check_same_thread=False, isolation_level=None
            )
            self._open(busy_timeout_s)
        except (sqlite3.Error, OSError) as exc:
            raise BackendUnavailable(f"cannot open the embedding cache at {self.path}: {exc}") from exc
        self._lock = threading.Lock()

    def _open(self, busy_timeout_s: float) -> None:
        """Switch to WAL and create the table, retrying while another opener holds the lock.

        SQLite does not call the busy handler for every lock a journal-mode switch
        takes, so two processes opening a new cache at once can see "database is
        locked" straight away; the retry covers that window.
        """
        deadline = time.monotonic() + busy_timeout_s
        delay = 0.01
        while True:
            try:
                mode = self._conn.execute("PRAGMA journal_mode").fetchone()[0]
                if str(mode).lower() != "wal":
                    self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._conn.execute(_SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def get_many(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among ``hashes`` (missing ones are simply absent)."""
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        with self._lock:
            for start in range(0, len(unique), _LOOKUP_BATCH):
                batch = unique[start : start + _LOOKUP_BATCH]
                marks = ",".join("?" * len(batch))
                rows = self._execute(
                    f"SELECT text_hash, vector FROM embeddings WHERE model_id = ? AND text_hash IN ({marks})",
                    [model_id, *batch],
                ).fetchall()
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model_id: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        """Store vectors (replacing any under the same key), in one transaction."""
        rows = []
        for key, vector in items:
            vec = np.ascontiguousarray(vector, dtype=np.float32)
            rows.append((model_id, key, int(vec.shape[0]), vec.tobytes()))
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.executemany(
                    "INSERT OR REPLACE INTO embeddings (model_id, text_hash, dim, vector) VALUES (?, ?, ?, ?)",
                    rows,
                )
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise BackendUnavailable(
                    f"cannot write to the embedding cache at {self.path}: {exc}"
                ) from exc

    def count(self, model_id: str | None = None) -> int:
        with self._lock:
            if model_id is None:
                row = self._execute("SELECT COUNT(*) FROM embeddings", []).fetchone()
            else:
                row = self._execute(
                    "SELECT COUNT(*) FROM embeddings WHERE model_id = ?", [model_id]
                ).fetchone()
        return int(row[0])

    def clear(self, model_id: str | None = None) -> int:
        """Delete every entry (or those of one model); returns how many went."""
        with self._lock:
            if model_id is None:
                cursor = self._execute("DELETE FROM embeddings", [])
            else:
                cursor = self._execute("DELETE FROM embeddings WHERE model_id = ?", [model_id])
        return int(cursor.rowcount)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _execute(self, sql: str, params: Sequence[object]) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise BackendUnavailable(f"embedding cache at {self.path} failed: {exc}") from exc


@dataclass(frozen=True)
class CacheStats:
    """``misses``: texts sent to the inner embedder; ``hits``: the others (found in the cache, or
    repeating a text of the same call, which is embedded once). ``hits + misses`` = texts asked for."""

    hits: int = 0
    misses: int = 0

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class CachedEmbedder:
    """An Embedder that looks documents up in an EmbeddingCache and embeds only the misses.

    Misses are embedded ``write_batch`` at a time and stored after each batch,
    so an interrupted build keeps what it paid for. ``embed_query`` bypasses
    the cache (see the module docstring).
    """

    def __init__(self, inner: Embedder, cache: EmbeddingCache, write_batch: int = 256) -> None:
        self.inner = inner
        self.cache = cache
        self.write_batch = max(1, write_batch)
        self._stats_lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dim(self) -> int:
        return self.inner.dim

    def close(self) -> None:
        """Closes the wrapped embedder; the cache is shared and closed by its owner."""
        close_quietly(self.inner)

    @property
    def hits(self) -> int:
        return self._hits

    @property
    def misses(self) -> int:
        return self._misses

    def stats(self) -> CacheStats:
        with self._stats_lock:
            return CacheStats(self._hits, self._misses)

    def reset_stats(self) -> CacheStats:
        """Zero the counters and return what they were (call at the start and end of a build)."""
        with self._stats_lock:
            old = CacheStats(self._hits, self._misses)
            self._hits = self._misses = 0
        return old

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.inner.dim), dtype=np.float32)
        model_id = self.inner.model_id
        keys = [text_hash(t) for t in texts]
        vectors = self.cache.get_many(model_id, keys)
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in vectors}
        todo = list(missing.items())
        for start in range(0, len(todo), self.write_batch):
            batch = todo[start : start + self.write_batch]
            embedded = self.inner.embed_documents([t for _, t in batch])
            fresh = [(k, embedded[i]) for i, (k, _) in enumerate(batch)]
            self.cache.put_many(model_id, fresh)
            vectors.update(fresh)
        with self._stats_lock:
            self._misses += len(missing)
            self._hits += len(texts) - len(missing)
        return np.stack([vectors[k] for k in keys]).astype(np.float32, copy=False)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)
