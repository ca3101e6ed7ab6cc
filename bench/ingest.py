"""Ingestion speed: the pipeline's chunks/s beside the raw embedding model on the same chunks,
and the time of rebuilds (retrieval-only change, chunk-size change) beside a cold build.

    python bench/ingest.py [--docs 1500] [--corpus ../shared/data/scifact/corpus.jsonl]

Goals (issue 2): pipeline/raw ≥ 0.9; cold / retrieval-only rebuild ≥ 20×.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "scifact" / "corpus.jsonl"


def write_corpus(src: Path, dest: Path, n: int) -> int:
    """SciFact abstracts as one .txt file each (title as first line)."""
    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    with src.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            (dest / f"{row['_id']}.txt").write_text(
                f"{row.get('title', '')}\n\n{row['text']}\n", encoding="utf-8"
            )
            count += 1
            if count >= n:
                break
    return count


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1500)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = ap.parse_args()

    from ragplatform.factory import apply_offline_env, build_platform
    from ragplatform.settings import Settings
    from ragplatform.spec import ChunkingSpec, CorpusSpec, IndexSpec, RetrievalSpec

    apply_offline_env()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        n = write_corpus(args.corpus, root / "datasets" / "scifact", args.docs)
        settings = Settings(
            _env_file=None,
            data_dir=root / "data",
            datasets_dir=root / "datasets",  # type: ignore[call-arg]
            database_url=None,
            mongodb_uri=None,
            weaviate_url=None,
            mlflow_tracking_uri=None,
            llm={"providers": ["extractive"]},
        )
        p = build_platform(settings)
        try:
            base = IndexSpec(name="bench", corpus=CorpusSpec(paths=("scifact",), include_content=False))

            # Warm the model (load time is not throughput).
            p.embedder.embed_query("warm up")

            t = time.perf_counter()
            cold = p.indexes.build(base)
            cold_s = time.perf_counter() - t
            s = cold.stats
            pipeline_cps = s.chunks / cold_s

            # The raw model on exactly the same chunk texts, same batch size.
            from ragplatform.ingest.chunking import chunk_documents
            from ragplatform.ingest.readers import load_path

            texts = [c.text for c in chunk_documents(load_path(root / "datasets" / "scifact"), base.chunking)]
            from sentence_transformers import SentenceTransformer

            from ragplatform.embeddings.local import default_model_path

            model = SentenceTransformer(str(default_model_path()), device="cpu", local_files_only=True)
            t = time.perf_counter()
            model.encode(
                texts,
                batch_size=settings.embedding.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            raw_s = time.perf_counter() - t
            raw_cps = len(texts) / raw_s

            t = time.perf_counter()
            retr = p.indexes.build(
                base.model_copy(update={"retrieval": RetrievalSpec(mode="dense", top_k=10)})
            )
            retr_s = time.perf_counter() - t

            t = time.perf_counter()
            resized = p.indexes.build(
                base.model_copy(update={"chunking": ChunkingSpec(chunk_size=384, chunk_overlap=32)})
            )
            resized_s = time.perf_counter() - t
        finally:
            p.close()
            from ragplatform.db.embedded import stop_embedded_postgres

            stop_embedded_postgres(settings.pg_dir)

    print(
        f"corpus: {n} SciFact abstracts -> {s.chunks} chunks ({base.chunking.strategy}, {base.chunking.chunk_size} tokens)"
    )
    print(f"{'':38}{'seconds':>10}{'chunks/s':>12}")
    print(f"{'raw model.encode (same chunks)':38}{raw_s:>10.2f}{raw_cps:>12.1f}")
    print(f"{'pipeline cold build (end to end)':38}{cold_s:>10.2f}{pipeline_cps:>12.1f}")
    print(f"{'  of which embedding':38}{s.embed_seconds:>10.2f}{s.chunks / s.embed_seconds:>12.1f}")
    print(
        f"{'  load+parse / chunk / write':38}{s.load_seconds:>4.2f} / {s.chunk_seconds:.2f} / {s.write_seconds:.2f}"
    )
    print(f"pipeline / raw throughput: {pipeline_cps / raw_cps:.2f}  (goal >= 0.9)")
    print(
        f"rebuild, retrieval params only: {retr_s:.2f}s  -> {cold_s / retr_s:.0f}x faster than cold (goal >= 20x); "
        f"embedded {retr.stats.cache_misses} chunks, reused collection: {bool(retr.stats.reused_collection)}"
    )
    print(
        f"rebuild, chunk size 256 -> 384: {resized_s:.2f}s  -> {cold_s / resized_s:.1f}x; "
        f"{resized.stats.chunks} chunks, embedded {resized.stats.cache_misses}, cache hits {resized.stats.cache_hits}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
