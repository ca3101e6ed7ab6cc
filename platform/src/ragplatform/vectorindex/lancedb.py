"""LanceDB implementation of VectorIndex: the embedded default engine.

One LanceDB table per collection in one directory. Dense search uses cosine
distance, keyword search LanceDB's native BM25 full-text index (English
stemming and stop words), hybrid search LanceDB's own hybrid query with its
``RRFReranker`` (``fusion="rrf"``) or ``LinearCombinationReranker``
(``fusion="alpha"``). Aliases live in ``_aliases.json`` beside the tables.

Several processes may share the directory: the connection checks for a newer
table version on every read (``read_consistency_interval=0``, a cheap
manifest check on a local disk), so a write by one process is visible to the
next query of any other. Rows not yet in the full-text or vector index are
searched exhaustively by LanceDB, so new rows are found at once; ``optimize``
folds them into the indexes, and runs by itself after a write once enough
rows are unindexed.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from filelock import FileLock

from ragplatform.errors import (
    BackendUnavailable,
    Conflict,
    InvalidInput,
    NotFound,
    RagPlatformError,
)
from ragplatform.schema import FILTERABLE_FIELDS, Chunk, SearchHit
from ragplatform.vectorindex.base import Filters, VectorQuery

try:
    import lancedb
    from lancedb.index import FTS, HnswSq, IvfPq
    from lancedb.rerankers import LinearCombinationReranker, RRFReranker
except ImportError as exc:  # pragma: no cover - lancedb is a core dependency
    raise ImportError("LanceDBVectorIndex needs lancedb: pip install 'lancedb==0.40.0'") from exc

log = logging.getLogger(__name__)

T = TypeVar("T")

_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_STRING_FIELDS = ("id", "doc_id", "text", "source", "title", "section", "owner", "chat_id", "kind", "extra")
_RESULT_COLUMNS = list(_STRING_FIELDS)
_ALIAS_FILE = "_aliases.json"

AnnIndexType = Literal["IVF_HNSW_SQ", "IVF_PQ"]


def _schema(dim: int) -> pa.Schema:
    fields = [pa.field(name, pa.string(), nullable=False) for name in _STRING_FIELDS]
    fields.append(pa.field("vector", pa.list_(pa.float32(), dim), nullable=False))
    return pa.schema(fields)


def _check_name(name: str, what: str = "collection") -> None:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InvalidInput(
            f"{what} name must be 1-128 characters of letters, digits, '_', '.' or '-', got {name!r}",
            field=what,
            value=name if isinstance(name, str) else None,
        )


def _quote(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"filter values must be strings, got {value!r}", field="filters")
    return "'" + value.replace("'", "''") + "'"


def filters_to_sql(filters: Filters | None) -> str | None:
    """Turn ``{"owner": "u1", "kind": ["faq", "file"]}`` into a LanceDB SQL predicate.

    Only ``FILTERABLE_FIELDS`` are accepted (they are fixed column names);
    values are quoted with doubled single quotes. An empty list matches nothing.
    Raises InvalidInput for an unknown field or a non-string value.
    """
    if not filters:
        return None
    clauses: list[str] = []
    for key, value in filters.items():
        if key not in FILTERABLE_FIELDS:
            raise InvalidInput(
                f"cannot filter on {key!r}; filterable fields: {', '.join(FILTERABLE_FIELDS)}",
                field="filters",
                value=key,
            )
        if isinstance(value, str):
            clauses.append(f"{key} = {_quote(value)}")
        elif not value:
            clauses.append("FALSE")
        else:
            clauses.append(f"{key} IN ({', '.join(_quote(v) for v in value)})")
    return " AND ".join(clauses)


class _AlphaReranker(LinearCombinationReranker):
    """LanceDB's linear combination, ``alpha * dense + (1 - alpha) * keyword``.

    LanceDB min-max normalises each leg before the reranker sees it; a leg
    whose scores are all equal (one keyword hit, say) comes out as all zeros,
    which for BM25 means "least relevant". Such a leg is set to fully relevant
    instead, so a single exact keyword match still counts.
    """

    def rerank_hybrid(self, query: str, vector_results: pa.Table, fts_results: pa.Table) -> pa.Table:
        if fts_results.num_rows > 0:
            scores = fts_results.column("_score")
            if pc.max(scores).as_py() == 0.0:
                i = fts_results.column_names.index("_score")
                ones = pa.array(np.ones(fts_results.num_rows), type=scores.type)
                fts_results = fts_results.set_column(i, fts_results.field(i), ones)
        return super().rerank_hybrid(query, vector_results, fts_results)


def _subject(collection: str | None) -> str:
    return "the vector index" if collection is None else f"collection {collection!r}"


STORAGE_UNAVAILABLE = (
    "the vector index cannot read or write its files; check that the LanceDB folder exists, is "
    "writable and has free space, then try again"
)


@contextmanager
def lance_errors(collection: str | None = None) -> Iterator[None]:
    """Translate what LanceDB, Lance and pyarrow raise inside the block, and nothing else.

    LanceDB's binding raises built-in types (its ``python/src/error.rs``): ``ValueError`` for
    invalid input, a bad table name, a table that is missing or exists already and schema errors
    (pyarrow's ``ArrowInvalid`` is one too); ``OSError`` for storage it cannot create or reach;
    ``NotImplementedError`` for what it does not support; ``RuntimeError`` for every error of
    Lance itself (a read-only or full folder is ``lance error: LanceError(IO)``, a lost commit
    race a ``conflict``). pyarrow's other errors derive from ``ArrowException``. So:

    - ``ValueError``: a missing table → ``NotFound``, an existing one → ``Conflict``, else
      ``InvalidInput`` (a vector of the wrong length, a value the schema cannot hold);
    - ``RuntimeError``: a commit conflict → ``Conflict``, else ``BackendUnavailable``;
    - ``OSError`` and the other ``ArrowException`` → ``BackendUnavailable``;
    - ``NotImplementedError``, ``TypeError`` (LanceDB's answer to an argument of the wrong type)
      and everything else pass through unchanged: they are bugs.

    Because ``ValueError`` and ``RuntimeError`` are built-in types, wrap only the driver's own
    calls in it, never code of ours. The driver's text goes to the log, not into the message.
    """
    subject = _subject(collection)
    try:
        yield
    except (RagPlatformError, NotImplementedError, TypeError):
        raise
    except ValueError as exc:
        low = str(exc).lower()
        if "was not found" in low:
            raise NotFound(f"{subject} does not exist") from exc
        if "already exists" in low:
            raise Conflict(f"{subject} already exists") from exc
        log.info("LanceDB refused a request on %s: %s", subject, exc)
        raise InvalidInput(
            f"{subject} cannot take this request: a vector of another length than the collection's, "
            "or a value it cannot store"
        ) from exc
    except OSError as exc:
        log.warning("LanceDB storage error on %s", subject, exc_info=True)
        raise BackendUnavailable(STORAGE_UNAVAILABLE) from exc
    except RuntimeError as exc:
        low = str(exc).lower()
        if "conflict" in low:
            log.info("LanceDB commit conflict on %s: %s", subject, exc)
            raise Conflict(f"another writer changed {subject} at the same time; try again") from exc
        log.warning("LanceDB failed on %s", subject, exc_info=True)
        if "lanceerror(io)" in low or "io error" in low:
            raise BackendUnavailable(STORAGE_UNAVAILABLE) from exc
        raise BackendUnavailable(f"the vector index failed on {subject}; try again shortly") from exc
    except pa.ArrowException as exc:
        log.warning("pyarrow failed on %s", subject, exc_info=True)
        raise BackendUnavailable(f"the vector index failed on {subject}; try again shortly") from exc


@contextmanager
def _storage_errors(what: str) -> Iterator[None]:
    """``OSError`` of our own files beside the tables (the alias file and its lock) → ``BackendUnavailable``."""
    try:
        yield
    except OSError as exc:
        log.warning("LanceDB folder: cannot %s", what, exc_info=True)
        raise BackendUnavailable(STORAGE_UNAVAILABLE) from exc


class LanceDBVectorIndex:
    """VectorIndex over a LanceDB directory, shared safely by several processes.

    ``optimize_after_rows``: after a write, fold unindexed rows into the
    indexes once at least this many are waiting (0 = after every write,
    None = never; call ``optimize`` yourself).
    """

    engine = "lancedb"

    def __init__(
        self,
        uri: str | Path,
        *,
        read_consistency_interval: timedelta | None = timedelta(0),
        optimize_after_rows: int | None = 1000,
    ) -> None:
        self.uri = Path(uri)
        with _storage_errors(f"create {self.uri}"):
            self.uri.mkdir(parents=True, exist_ok=True)
        with lance_errors():
            self._db = lancedb.connect(str(self.uri), read_consistency_interval=read_consistency_interval)
        self._optimize_after_rows = optimize_after_rows
        self._tables: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._alias_path = self.uri / _ALIAS_FILE
        self._alias_lock = FileLock(str(self.uri / (_ALIAS_FILE + ".lock")))
        self._alias_cache: tuple[float, int, dict[str, str]] | None = None

    # -- collections -------------------------------------------------------

    def create_collection(self, name: str, dim: int) -> None:
        """Create an empty collection with a BM25 index on ``text``.

        Raises InvalidInput (bad name or dim), Conflict (exists, or is an alias name).
        """
        _check_name(name)
        if not isinstance(dim, int) or dim < 1:
            raise InvalidInput(f"dim must be a positive integer, got {dim!r}", field="dim", value=dim)
        if name in self._read_aliases():
            raise Conflict(f"{name!r} is already an alias; pick another collection name")
        fts = FTS(language="English", stem=True, remove_stop_words=True, ascii_folding=True)
        with lance_errors(name):
            table = self._db.create_table(name, schema=_schema(dim), mode="create")
            table.create_index("text", config=fts)
        with self._lock:
            self._tables[name] = table

    def drop_collection(self, name: str) -> None:
        """Drop a collection and the aliases that point at it. Raises NotFound."""
        _check_name(name)
        with self._lock:
            self._tables.pop(name, None)
        with lance_errors(name):
            self._db.drop_table(name)
        self._update_aliases(lambda aliases: {a: c for a, c in aliases.items() if c != name})

    def has_collection(self, name: str) -> bool:
        return name in self.list_collections()

    def list_collections(self) -> list[str]:
        names: list[str] = []
        token: str | None = None
        while True:
            with lance_errors():
                page = self._db.list_tables(page_token=token)
            names.extend(page.tables)
            token = page.page_token
            if not token:
                break
        return sorted(names)

    # -- writes ------------------------------------------------------------

    def upsert(self, collection: str, chunks: Sequence[Chunk], vectors: np.ndarray) -> int:
        """Insert or replace chunks by id (last one wins within a batch); returns how many.

        Raises NotFound, InvalidInput (shape/dim mismatch, non-finite vectors).
        """
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(chunks):
            raise InvalidInput(
                f"vectors must have shape ({len(chunks)}, dim), got {vectors.shape}", field="vectors"
            )
        if not chunks:
            return 0
        if not np.isfinite(vectors).all():
            raise InvalidInput("vectors contain NaN or infinite values", field="vectors")
        last = {c.id: i for i, c in enumerate(chunks)}
        keep = sorted(last.values())
        rows = [chunks[i] for i in keep]
        vectors = vectors[keep]

        def write(table: Any) -> int:
            with lance_errors(collection):
                schema: pa.Schema = table.schema
            dim = schema.field("vector").type.list_size
            if vectors.shape[1] != dim:
                raise InvalidInput(
                    f"collection {collection!r} has dim {dim}, got vectors of dim {vectors.shape[1]}",
                    field="vectors",
                    value=int(vectors.shape[1]),
                )
            data = self._to_arrow(rows, vectors, schema)
            with lance_errors(collection):
                if table.count_rows() == 0:
                    table.add(data)  # far faster than merge_insert for a bulk build
                else:
                    table.merge_insert("id").when_matched_update_all().when_not_matched_insert_all().execute(
                        data
                    )
            return len(rows)

        written = self._with_table(collection, write)
        self._maybe_optimize(collection)
        return written

    def delete(self, collection: str, filters: Filters) -> int:
        """Delete the chunks matching ``filters``; refuses empty filters. Raises NotFound, InvalidInput."""
        where = filters_to_sql(filters)
        if where is None:
            raise InvalidInput(
                "delete needs at least one filter (refusing to empty the collection)", field="filters"
            )

        def remove(table: Any) -> int:
            with lance_errors(collection):
                n = int(table.count_rows(where))
                if n:
                    table.delete(where)
            return n

        removed = self._with_table(collection, remove)
        if removed:
            self._maybe_optimize(collection)
        return removed

    def count(self, collection: str, filters: Filters | None = None) -> int:
        """Rows in the collection (matching ``filters``). Raises NotFound, InvalidInput."""
        where = filters_to_sql(filters)

        def count_rows(table: Any) -> int:
            with lance_errors(collection):
                return int(table.count_rows(where))

        return self._with_table(collection, count_rows)

    # -- search ------------------------------------------------------------

    def query(self, collection: str, query: VectorQuery) -> list[SearchHit]:
        """Dense, keyword or hybrid search, best first. Raises NotFound, InvalidInput."""
        query.validate()
        where = filters_to_sql(query.filters)
        upper = None
        if query.distance_threshold is not None:
            upper = math.nextafter(query.distance_threshold, math.inf)  # LanceDB's bound is exclusive
        return self._with_table(collection, lambda t: self._search(t, collection, query, where, upper))

    def _search(
        self, table: Any, collection: str, q: VectorQuery, where: str | None, upper: float | None
    ) -> list[SearchHit]:
        with lance_errors(collection):
            result = self._run_search(table, q, where, upper)
        return self._to_hits(result, q.mode)

    @staticmethod
    def _run_search(table: Any, q: VectorQuery, where: str | None, upper: float | None) -> pa.Table:
        """The LanceDB query for ``q``, run: nothing but calls of the driver."""
        if q.mode == "dense":
            builder = (
                table.search(q.vector, query_type="vector", vector_column_name="vector")
                .distance_type("cosine")
                .select([*_RESULT_COLUMNS, "_distance"])
            )
            if upper is not None:
                builder = builder.distance_range(upper_bound=upper)
        elif q.mode == "keyword":
            builder = table.search(q.text, query_type="fts", fts_columns="text").select(
                [*_RESULT_COLUMNS, "_score"]
            )
        else:
            reranker: Any = (
                RRFReranker(K=q.rrf_k, return_score="all")
                if q.fusion == "rrf"
                else _AlphaReranker(weight=q.alpha, return_score="all")
            )
            # No select() here: LanceDB would log a warning per leg; the vector column is dropped below.
            builder = (
                table.search(query_type="hybrid", vector_column_name="vector", fts_columns="text")
                .vector(q.vector)
                .text(q.text)
                .distance_type("cosine")
                .rerank(reranker)
            )
            if upper is not None:
                builder = builder.distance_range(upper_bound=upper)
        if where is not None:
            builder = builder.where(where, prefilter=True)
        result: pa.Table = builder.limit(q.top_k).to_arrow()
        return result

    # -- aliases -----------------------------------------------------------

    def set_alias(self, alias: str, collection: str) -> None:
        """Point ``alias`` at ``collection`` (create or move). Raises NotFound, Conflict, InvalidInput."""
        _check_name(alias, "alias")
        _check_name(collection)
        names = self.list_collections()
        if collection not in names:
            raise NotFound(f"collection {collection!r} does not exist")
        if alias in names:
            raise Conflict(f"{alias!r} is a collection name; an alias cannot shadow it")
        self._update_aliases(lambda aliases: {**aliases, alias: collection})

    def resolve_alias(self, alias: str) -> str | None:
        return self._read_aliases().get(alias)

    def delete_alias(self, alias: str) -> None:
        """Remove an alias. Raises NotFound."""
        if alias not in self._read_aliases():
            raise NotFound(f"alias {alias!r} does not exist")
        self._update_aliases(lambda aliases: {a: c for a, c in aliases.items() if a != alias})

    def _read_aliases(self) -> dict[str, str]:
        try:
            st = self._alias_path.stat()
        except FileNotFoundError:
            return {}
        cached = self._alias_cache
        if cached is not None and cached[0] == st.st_mtime and cached[1] == st.st_size:
            return cached[2]
        try:
            aliases = json.loads(self._alias_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # unreadable, or not JSON: the folder needs a look
            log.warning("cannot read LanceDB aliases %s", self._alias_path, exc_info=True)
            raise BackendUnavailable(
                "the vector index cannot read its aliases file (_aliases.json in the LanceDB folder)"
            ) from exc
        self._alias_cache = (st.st_mtime, st.st_size, aliases)
        return dict(aliases)

    def _update_aliases(self, change: Callable[[dict[str, str]], dict[str, str]]) -> None:
        with _storage_errors("write the aliases file"), self._alias_lock:
            self._alias_cache = None
            new = change(self._read_aliases())
            fd, tmp = tempfile.mkstemp(dir=self.uri, prefix=".aliases-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(new, fh, sort_keys=True)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self._alias_path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._alias_cache = None

    # -- maintenance ---------------------------------------------------------

    def optimize(self, collection: str) -> None:
        """Compact files and fold unindexed rows into the BM25 and vector indexes.

        Raises NotFound; Conflict when a concurrent writer won (safe to retry).
        """

        def optimize(table: Any) -> None:
            with lance_errors(collection):
                table.optimize()

        self._with_table(collection, optimize)

    def build_ann_index(
        self,
        collection: str,
        *,
        index_type: AnnIndexType = "IVF_HNSW_SQ",
        num_partitions: int | None = None,
    ) -> None:
        """Build an approximate vector index (cosine); worth it from roughly 50k rows.

        Below that, exhaustive search is exact and fast enough. Later writes are
        searched exhaustively until ``optimize`` adds them to the index.
        Raises NotFound, InvalidInput (too few rows to train).
        """
        config: Any
        if index_type == "IVF_HNSW_SQ":
            config = HnswSq(distance_type="cosine", num_partitions=num_partitions)
        else:
            config = IvfPq(distance_type="cosine", num_partitions=num_partitions)

        def build(table: Any) -> None:
            with lance_errors(collection):
                table.create_index("vector", config=config, replace=True)

        self._with_table(collection, build)

    def health(self) -> dict[str, Any]:
        try:
            collections = self.list_collections()
        except BackendUnavailable as exc:
            return {"engine": "lancedb", "ok": False, "uri": str(self.uri), "error": exc.message}
        return {"engine": "lancedb", "ok": True, "uri": str(self.uri), "collections": len(collections)}

    # -- internals ---------------------------------------------------------

    def _open(self, name: str) -> Any:
        real = self._read_aliases().get(name, name)
        table = self._tables.get(real)
        if table is None:
            _check_name(real)
            with lance_errors(name):
                table = self._db.open_table(real)
            with self._lock:
                self._tables[real] = table
        return table

    def _forget(self, name: str) -> None:
        real = self._read_aliases().get(name, name)
        with self._lock:
            self._tables.pop(real, None)

    def _with_table(self, name: str, fn: Callable[[Any], T]) -> T:
        """Run ``fn`` on the cached table handle; when the engine fails, reopen once and retry.

        ``fn`` wraps its driver calls in ``lance_errors``. The retry covers a handle left stale by
        another process (table dropped and recreated), so it follows only errors translated from
        the driver's (they carry it as ``__cause__``): our own checks and bugs are not retried.
        Every operation passed here is idempotent.
        """
        table = self._open(name)
        try:
            return fn(table)
        except RagPlatformError as exc:
            if exc.__cause__ is None:
                raise
            log.debug("LanceDB collection %r: retrying with a fresh handle after %r", name, exc.__cause__)
        self._forget(name)
        return fn(self._open(name))

    def _maybe_optimize(self, collection: str) -> None:
        threshold = self._optimize_after_rows
        if threshold is None:
            return
        try:
            table = self._open(collection)
            with lance_errors(collection):
                stats = table.index_stats("text_idx")
                if stats is not None and stats.num_unindexed_rows >= max(threshold, 1):
                    table.optimize()
        except RagPlatformError as exc:  # the write is committed; indexing can wait for the next one
            log.warning("optimize of LanceDB collection %r deferred: %s", collection, exc.message)

    @staticmethod
    def _to_arrow(chunks: Sequence[Chunk], vectors: np.ndarray, schema: pa.Schema) -> pa.Table:
        columns: dict[str, Any] = {
            name: [getattr(c, name) for c in chunks] for name in _STRING_FIELDS if name != "extra"
        }
        columns["extra"] = [json.dumps(c.extra, ensure_ascii=False, default=str) for c in chunks]
        dim = vectors.shape[1]
        columns["vector"] = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), dim)
        return pa.table(columns, schema=schema)

    @staticmethod
    def _to_hits(result: pa.Table, mode: str) -> list[SearchHit]:
        if "vector" in result.column_names:
            result = result.drop_columns(["vector"])
        hits: list[SearchHit] = []
        for row in result.to_pylist():
            distance = row.get("_distance")
            if mode == "dense":
                score = 1.0 - float(distance)
            elif mode == "keyword":
                score = float(row["_score"])
            else:
                score = float(row["_relevance_score"])
            chunk = Chunk(
                id=row["id"],
                doc_id=row["doc_id"],
                text=row["text"],
                source=row["source"],
                title=row["title"],
                section=row["section"],
                owner=row["owner"],
                chat_id=row["chat_id"],
                kind=row["kind"],
                extra=json.loads(row["extra"]) if row["extra"] else {},
            )
            hits.append(
                SearchHit(chunk=chunk, score=score, distance=None if distance is None else float(distance))
            )
        return hits
