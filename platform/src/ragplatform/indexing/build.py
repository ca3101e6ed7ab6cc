"""Build an index version from an IndexSpec: load, chunk, embed (cached), write, register.

A build writes a fresh collection and registers it only at the very end, so a
failed or killed build is never resolvable and never touches production. A
spec whose data (corpus fingerprint, chunking, embedding, engine) matches a
registered version reuses that version's immutable collection: changing only
retrieval parameters re-embeds and rewrites nothing.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ragplatform.content.base import ContentStore
from ragplatform.embeddings.cache import CachedEmbedder
from ragplatform.errors import InvalidInput
from ragplatform.indexing import corpus
from ragplatform.ingest.chunking import chunk_documents
from ragplatform.ingest.content import content_documents
from ragplatform.ingest.readers import load_path
from ragplatform.metrics.percentiles import percentile
from ragplatform.progress import Progress, no_progress
from ragplatform.registry.base import BuildRun, IndexRegistry, IndexVersion
from ragplatform.schema import Chunk, Document
from ragplatform.spec import IndexSpec
from ragplatform.vectorindex.base import VectorIndex

log = logging.getLogger(__name__)

EMBED_BATCH = 256
# idx_<data key>_<corpus key>_<first 8 characters of the build run id>; Weaviate capitalises the first letter
_COLLECTION = re.compile(r"^[iI]dx_[0-9a-f]+_[0-9a-f]+_([0-9a-f]{8})$")


@dataclass
class BuildStats:
    documents: int = 0
    chunks: int = 0
    build_seconds: float = 0.0
    load_seconds: float = 0.0
    chunk_seconds: float = 0.0
    embed_seconds: float = 0.0
    write_seconds: float = 0.0
    embed_chunks_per_s: float = 0.0
    cache_hits: int = 0
    cache_misses: int = 0
    reused_collection: int = 0
    chunk_lengths: list[int] = field(default_factory=list)

    def metrics(self) -> dict[str, float]:
        out = {k: float(v) for k, v in asdict(self).items() if k != "chunk_lengths"}
        if self.chunk_lengths:
            arr = np.asarray(self.chunk_lengths)
            out |= {
                "chunk_chars_mean": float(arr.mean()),
                "chunk_chars_p50": percentile(self.chunk_lengths, 0.5) or 0.0,
                "chunk_chars_p95": percentile(self.chunk_lengths, 0.95) or 0.0,
            }
        return out


@dataclass(frozen=True)
class BuildResult:
    version: IndexVersion
    stats: BuildStats


def collection_name(spec: IndexSpec, corpus_key: str, run_id: str) -> str:
    return f"idx_{spec.data_key()}_{corpus_key[:8]}_{run_id[:8]}"


def collection_run_prefix(collection: str) -> str | None:
    """The start of the build run id a ``collection_name`` was made from; None for a collection
    that no build made (the live user documents, anything else in the engine)."""
    match = _COLLECTION.match(collection)
    return match.group(1) if match else None


def select_corpus(
    spec: IndexSpec, datasets_dir: Path, content: ContentStore | None
) -> tuple[list[Path], corpus.ContentRows, str]:
    """The spec's roots, content rows and corpus fingerprint, without parsing anything."""
    roots = corpus.resolve_paths(spec.corpus, datasets_dir)
    files = corpus.corpus_files(roots, spec.corpus.extensions)
    rows = corpus.ContentRows.load(content, spec.corpus.include_content)
    return roots, rows, corpus.fingerprint(files, rows)


def load_documents(spec: IndexSpec, roots: list[Path], rows: corpus.ContentRows) -> list[Document]:
    """Parses the corpus. Raises InvalidInput for an empty one."""
    docs: list[Document] = []
    for root in roots:
        docs.extend(load_path(root, extensions=spec.corpus.extensions))
    if spec.corpus.max_documents is not None:
        docs = docs[: spec.corpus.max_documents]
    docs.extend(content_documents(faqs=rows.faqs, events=rows.events, contacts=rows.contacts))
    if not docs:
        raise InvalidInput(
            f"corpus is empty: no supported documents under {', '.join(spec.corpus.paths)}"
            + (" and no active content rows" if spec.corpus.include_content else ""),
            field="corpus",
        )
    return docs


def _find_reusable(
    registry: IndexRegistry, index: VectorIndex, spec: IndexSpec, key: str, model_id: str
) -> IndexVersion | None:
    """A version with the same data whose collection still exists. The embedding model's id is
    compared too: it hashes the weights, so a model retrained under the same name never reuses
    vectors of its previous weights."""
    for version in registry.list_versions():
        same = (
            version.tags.get("data_key") == spec.data_key()
            and version.tags.get("corpus_key") == key
            and version.tags.get("embedding_model") == model_id
        )
        if same and index.has_collection(version.collection):
            return version
    return None


def _write_artifacts(
    run: BuildRun, spec: IndexSpec, collection: str, stats: BuildStats, docs: list[Document]
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        manifest = {
            "spec": json.loads(spec.canonical_json()),
            "collection": collection,
            "stats": stats.metrics(),
            "documents": sorted({str(d.metadata.get("source", d.id)) for d in docs}),
            "reused": bool(stats.reused_collection),
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
        run.log_artifact(out / "manifest.json")
        if stats.chunk_lengths:
            fig, ax = plt.subplots(figsize=(6, 3.5))
            ax.hist(stats.chunk_lengths, bins=40, color="#4c72b0")
            ax.set_xlabel("chunk length (characters)")
            ax.set_ylabel("chunks")
            ax.set_title(f"{spec.name}: {stats.chunks} chunks from {stats.documents} documents")
            fig.tight_layout()
            fig.savefig(out / "chunk_lengths.png", dpi=100)
            plt.close(fig)
            run.log_artifact(out / "chunk_lengths.png", "charts")


def build_index(
    spec: IndexSpec,
    *,
    registry: IndexRegistry,
    index: VectorIndex,
    embedder: CachedEmbedder,
    content: ContentStore | None,
    datasets_dir: Path,
    progress: Progress = no_progress,
    run_tags: Mapping[str, str] | None = None,
) -> BuildResult:
    """Builds and registers one index version; ``run_tags`` go on its build run (a build job's id,
    say). Raises InvalidInput for a bad corpus."""
    started = time.perf_counter()
    stats = BuildStats()
    progress("load", 0, 1)
    roots, rows, key = select_corpus(spec, datasets_dir, content)
    reusable = _find_reusable(registry, index, spec, key, embedder.model_id)
    docs: list[Document] = []
    if reusable is None:
        docs = load_documents(spec, roots, rows)  # InvalidInput before any run is opened
    stats.load_seconds = time.perf_counter() - started
    progress("load", 1, 1)

    with registry.build_run(spec, run_tags) as run:
        if reusable is not None:
            collection = reusable.collection
            stats.reused_collection = 1
            stats.documents = int(reusable.metrics.get("documents", 0))
            stats.chunks = int(reusable.metrics.get("chunks", 0))
            log.info("reusing collection %s of version %s (same data)", collection, reusable.version)
        else:
            stats.documents = len(docs)
            collection = collection_name(spec, key, run.run_id)
            _fill(collection, spec, docs, index, embedder, stats, progress)
        stats.build_seconds = time.perf_counter() - started
        run.log_metrics(stats.metrics())
        _write_artifacts(run, spec, collection, stats, docs)
        version = run.register(
            collection,
            tags={
                "corpus_key": key,
                "embedding_model": embedder.model_id,
                "reused_from": reusable.version if reusable else "",
            },
        )
    progress("done", 1, 1)
    return BuildResult(version=version, stats=stats)


def _fill(
    collection: str,
    spec: IndexSpec,
    docs: list[Document],
    index: VectorIndex,
    embedder: CachedEmbedder,
    stats: BuildStats,
    progress: Progress,
) -> None:
    t = time.perf_counter()
    chunks: list[Chunk] = chunk_documents(docs, spec.chunking, embedder)
    stats.chunk_seconds = time.perf_counter() - t
    if not chunks:
        raise InvalidInput("corpus produced no chunks: every document is empty", field="corpus")
    stats.chunks = len(chunks)
    stats.chunk_lengths = [len(c.text) for c in chunks]
    hits0, misses0 = embedder.hits, embedder.misses
    # Embed in length order across the whole corpus (as sentence-transformers does within one call),
    # so each model batch holds texts of similar length and pays little padding; then restore order.
    order = sorted(range(len(chunks)), key=lambda i: len(chunks[i].text))
    vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    for start in range(0, len(order), EMBED_BATCH):
        idx = order[start : start + EMBED_BATCH]
        t = time.perf_counter()
        vectors[idx] = embedder.embed_documents([chunks[i].text for i in idx])
        stats.embed_seconds += time.perf_counter() - t
        progress("embed", min(start + EMBED_BATCH, len(chunks)), len(chunks))
    # One write (and one full-text index build) for the whole collection.
    progress("write", 0, 1)
    t = time.perf_counter()
    index.create_collection(collection, embedder.dim)
    index.upsert(collection, chunks, vectors)
    stats.write_seconds = time.perf_counter() - t
    progress("write", 1, 1)
    stats.cache_hits = embedder.hits - hits0
    stats.cache_misses = embedder.misses - misses0
    stats.embed_chunks_per_s = stats.chunks / stats.embed_seconds if stats.embed_seconds else 0.0
