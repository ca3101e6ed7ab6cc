"""Latency of Retriever.search against the same work done directly with lancedb.

For each size and mode, every query runs twice, interleaved:

- platform: ``Retriever.search(text)`` (embed the query, LanceDBVectorIndex.query, hits as SearchHit)
- raw:      ``embedder.embed_query(text)`` + the equivalent lancedb query on an opened table, ``to_list()``

and prints p50/p99 of both and their ratio (goal: <= 1.25x), plus the
search-only ratio (LanceDBVectorIndex.query vs the raw lancedb query on the
same query vector), which isolates the wrapper's own overhead.

Passages come from SciFact (abstracts split into passages of ~3 sentences,
repeated with a suffix to reach the size). Embedding 100k passages on two CPU
cores takes too long, so only ``--embed-real`` passages get real MiniLM
vectors; the others get a real vector plus Gaussian noise, renormalised.
Queries are SciFact training claims, embedded for real at query time.

    .venv/bin/python bench/retrieve.py --sizes 10000 100000 --queries 100
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import lancedb
from lancedb.rerankers import RRFReranker

from ragplatform.embeddings.local import LocalEmbedder
from ragplatform.retrieval.retriever import Retriever
from ragplatform.schema import Chunk
from ragplatform.spec import RetrievalSpec
from ragplatform.vectorindex.base import SearchMode, VectorQuery
from ragplatform.vectorindex.lancedb import LanceDBVectorIndex

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact"
if not DATA.exists():
    DATA = Path("/work/shared/data/scifact")
ANN_FROM_ROWS = 50_000
COLUMNS = ["id", "doc_id", "text", "source", "title", "section", "owner", "chat_id", "kind", "extra"]


def passages(max_sentences: int = 3) -> list[tuple[str, str, str]]:
    """(doc_id, title, passage) from SciFact abstracts."""
    out: list[tuple[str, str, str]] = []
    with (DATA / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            sentences = [s for s in re.split(r"(?<=[.!?])\s+", doc["text"]) if s]
            for i in range(0, len(sentences), max_sentences):
                out.append((doc["_id"], doc["title"], " ".join(sentences[i : i + max_sentences])))
    return out


def queries(n: int) -> list[str]:
    with (DATA / "queries.train.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for _, line in zip(range(n), fh, strict=False)]


def build_corpus(
    size: int, base: list[tuple[str, str, str]], base_vectors: np.ndarray
) -> tuple[list[Chunk], np.ndarray]:
    rng = np.random.default_rng(size)
    chunks: list[Chunk] = []
    idx = np.arange(size) % len(base)
    for i in range(size):
        doc_id, title, text = base[idx[i]]
        rep = i // len(base)
        suffix = f" (copy {rep})" if rep else ""
        chunks.append(
            Chunk(id=f"p{i}", doc_id=doc_id, text=text + suffix, title=title, source=f"scifact/{doc_id}")
        )
    real = base_vectors[idx % len(base_vectors)]
    vectors = real + rng.normal(scale=0.02, size=real.shape).astype(np.float32)
    n = min(size, len(base_vectors))
    vectors[:n] = base_vectors[:n]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return chunks, vectors.astype(np.float32)


def percentiles(samples: list[float]) -> tuple[float, float]:
    arr = np.asarray(samples)
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000.0


def bench_mode(
    embedder: LocalEmbedder,
    index: LanceDBVectorIndex,
    raw_table: Any,
    name: str,
    mode: SearchMode,
    qs: list[str],
    top_k: int,
    size: int,
    ann: bool,
) -> tuple[str, ...]:
    """Time the platform path and the raw lancedb path on the same queries, interleaved."""
    retriever = Retriever(embedder, index, name, RetrievalSpec(mode=mode, top_k=top_k))

    def raw_search(vec: np.ndarray | None, text: str) -> list[dict[str, Any]]:
        if mode == "dense":
            b = raw_table.search(vec, vector_column_name="vector").distance_type("cosine")
            return b.select([*COLUMNS, "_distance"]).limit(top_k).to_list()  # type: ignore[no-any-return]
        if mode == "keyword":
            b = raw_table.search(text, query_type="fts", fts_columns="text")
            return b.select([*COLUMNS, "_score"]).limit(top_k).to_list()  # type: ignore[no-any-return]
        b = raw_table.search(query_type="hybrid", vector_column_name="vector", fts_columns="text")
        b = b.vector(vec).text(text).distance_type("cosine").rerank(RRFReranker())
        return b.limit(top_k).to_list()  # type: ignore[no-any-return]

    def raw_full(text: str) -> object:
        vec = embedder.embed_query(text) if mode != "keyword" else None
        return raw_search(vec, text)

    for q in qs[:5]:  # warm-up
        retriever.search(q)
        raw_full(q)
    plat: list[float] = []
    raw: list[float] = []
    plat_s: list[float] = []
    raw_s: list[float] = []
    for i, q in enumerate(qs):
        vec = embedder.embed_query(q)
        vq = VectorQuery(text=q, vector=vec, mode=mode, top_k=top_k)
        pairs: list[tuple[list[float], Callable[[], object]]] = [
            (plat, lambda q=q: retriever.search(q)),  # type: ignore[misc]
            (raw, lambda q=q: raw_full(q)),  # type: ignore[misc]
            (plat_s, lambda vq=vq: index.query(name, vq)),  # type: ignore[misc]
            (raw_s, lambda q=q, vec=vec: raw_search(vec, q)),  # type: ignore[misc]
        ]
        if i % 2:
            pairs.reverse()
        for bucket, fn in pairs:
            bucket.append(timed(fn))
    p50, p99 = percentiles(plat)
    r50, r99 = percentiles(raw)
    s50, _ = percentiles(plat_s)
    rs50, _ = percentiles(raw_s)
    return (
        f"{size:,}",
        mode,
        "IVF_HNSW_SQ" if ann else "exact",
        f"{p50:.1f}",
        f"{p99:.1f}",
        f"{r50:.1f}",
        f"{r99:.1f}",
        f"{p50 / r50:.2f}x",
        f"{p99 / r99:.2f}x",
        f"{s50:.1f} / {rs50:.1f} = {s50 / rs50:.2f}x",
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--data-dir", type=Path, default=None, help="LanceDB directory (default: a temp dir)")
    parser.add_argument("--embed-real", type=int, default=3000, help="passages embedded with MiniLM")
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--repeat-queries", type=int, default=1, help="run the query list this many times")
    parser.add_argument(
        "--modes", nargs="+", default=["dense", "hybrid"], choices=["dense", "hybrid", "keyword"]
    )
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-retrieve-"))
    embedder = LocalEmbedder()
    base = passages()
    n_real = min(args.embed_real, len(base), max(args.sizes))
    cache = Path(tempfile.gettempdir()) / f"ragplatform-bench-scifact-{n_real}.npy"
    start = time.perf_counter()
    if cache.exists():
        real_vectors = np.load(cache)
        how = f"loaded from {cache}"
    else:
        real_vectors = embedder.embed_documents([p[2] for p in base[:n_real]])
        np.save(cache, real_vectors)
        how = f"embedded in {time.perf_counter() - start:.1f}s"
    print(
        f"corpus: {len(base)} SciFact passages; {n_real} have {embedder.model_id} vectors ({how}); "
        "the other rows reuse those vectors + N(0, 0.02) noise, renormalised"
    )
    qs = queries(args.queries) * args.repeat_queries
    for q in qs[:3]:
        embedder.embed_query(q)  # warm the model

    index = LanceDBVectorIndex(data_dir)
    rows: list[tuple[str, ...]] = []
    for size in args.sizes:
        name = f"bench_{size}"
        if index.has_collection(name):
            index.drop_collection(name)
        chunks, vectors = build_corpus(size, base, real_vectors)
        index.create_collection(name, embedder.dim)
        t_load = timed(lambda: index.upsert(name, chunks, vectors))  # noqa: B023
        t_opt = timed(lambda: index.optimize(name))  # noqa: B023
        ann = size >= ANN_FROM_ROWS
        t_ann = timed(lambda: index.build_ann_index(name, index_type="IVF_HNSW_SQ")) if ann else 0.0  # noqa: B023
        print(
            f"\n{size} rows: load {t_load / 1000:.1f}s, BM25 index {t_opt / 1000:.1f}s"
            + (f", IVF_HNSW_SQ cosine index {t_ann / 1000:.1f}s" if ann else ", no ANN index (exact search)")
        )
        raw_table = lancedb.connect(str(data_dir)).open_table(name)

        for mode in args.modes:
            rows.append(bench_mode(embedder, index, raw_table, name, mode, qs, args.top_k, size, ann))

    header = (
        "rows",
        "mode",
        "vector index",
        "platform p50",
        "p99",
        "raw p50",
        "p99",
        "ratio p50",
        "ratio p99",
        "search only p50 (platform / raw)",
    )
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(
        f"\nlatency in ms over {len(qs)} queries, top_k={args.top_k}, "
        f"{os.cpu_count()} CPUs; platform = Retriever.search, raw = embed_query + lancedb query"
    )
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    print(f"\ndata directory: {data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
