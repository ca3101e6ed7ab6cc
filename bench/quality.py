"""Retrieval quality on a BEIR directory: nDCG@10, recall@100, MRR@10 and query latency for
keyword-only, dense-only and hybrid retrieval (and a fine-tuned embedder when given), beside
the published SciFact figures; each evaluation is logged as an MLflow run.

    python bench/quality.py [BEIR_DIR] [--split train] [--part all|fit|validation]
                            [--limit-queries N] [--max-docs N] [--data-dir DIR]
                            [--modes keyword dense hybrid] [--fusion rrf|alpha] [--alpha 0.5]
                            [--rrf-k 60] [--chunk-size 256] [--chunk-overlap 32] [--title-prefix]
                            [--embedder-path DIR]

BEIR_DIR defaults to ../shared/data/scifact (train queries). Any BEIR directory with
corpus.jsonl, queries[.<split>].jsonl and qrels/<split>.tsv works, e.g. --split test.

One index version is built over the corpus; the other modes are versions that differ only in
retrieval settings, so they reuse its collection (no re-embedding). --max-docs keeps every
document judged for the selected queries plus the first N others: a smaller corpus has fewer
distractors, so scores on a slice are higher than on the full corpus. --data-dir keeps the
embedding cache (and the MLflow store) between runs, which makes reruns cheap.

The tuned configuration (see README, "Retrieval quality"): --title-prefix --fusion alpha --alpha 0.7,
and --embedder-path with the MiniLM fine-tuned by notebooks/05 on the fit part of the train
queries, judged with --part validation (the queries it never saw). With --part validation the
nDCG@10 is also split by whether some fit question cites the relevant abstract ("seen") or not.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_BEIR = REPO.parent / "shared" / "data" / "scifact"
MODES = ("keyword", "dense", "hybrid")

# Published nDCG@10 on the SciFact *test* split (../shared/data/README.md).
PUBLISHED = (
    ("BM25 (multifield .. flat)", "0.665-0.679"),
    ("all-MiniLM-L6-v2", "0.645"),
    ("bge-small-en-v1.5", "0.713"),
    ("bge-base-en-v1.5", "0.741"),
    ("RRF BM25 + bge-base (DuckDB)", "0.744"),
)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (as ``evaluate`` reports p95)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def clear_query_cache(embedder: Any) -> None:
    """Empty the in-process query-vector cache, so every mode pays for its query embeddings."""
    seen = 0
    while embedder is not None and seen < 8:
        cache = getattr(embedder, "_cache", None)
        if isinstance(cache, dict):
            lock = getattr(embedder, "_lock", None)
            if lock is not None:
                with lock:
                    cache.clear()
            else:
                cache.clear()
        embedder = getattr(embedder, "inner", None)
        seen += 1


def progress_printer(label: str):
    last = [0.0]

    def show(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - last[0] > 10:
            last[0] = now
            print(f"  [{label}] {stage} {done}/{total}", file=sys.stderr, flush=True)

    return show


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("beir_dir", nargs="?", type=Path, default=DEFAULT_BEIR)
    ap.add_argument("--split", default="train")
    ap.add_argument("--limit-queries", type=int, default=None, metavar="N")
    ap.add_argument("--max-docs", type=int, default=None, metavar="N")
    ap.add_argument("--data-dir", type=Path, default=None, help="reused across runs (default: a temp dir)")
    ap.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    ap.add_argument("--fusion", choices=("rrf", "alpha"), default="rrf", help="hybrid fusion")
    ap.add_argument("--alpha", type=float, default=0.5, help="hybrid alpha (with --fusion alpha)")
    ap.add_argument("--rrf-k", type=int, default=60, help="hybrid RRF constant (with --fusion rrf)")
    ap.add_argument("--chunk-size", type=int, default=256, help="tokens (cl100k)")
    ap.add_argument("--chunk-overlap", type=int, default=32)
    ap.add_argument("--title-prefix", action="store_true", help="repeat the title at the head of every chunk")
    ap.add_argument(
        "--part",
        choices=("all", "fit", "validation"),
        default="all",
        help="evaluate on the whole split or one half of ragplatform.evaluation.split (80/20, seed 0); "
        "a model fine-tuned on the fit half must be judged on validation",
    )
    ap.add_argument("--top-k", type=int, default=100, help="retrieval depth evaluated")
    ap.add_argument("--embedder-path", type=Path, default=None, help="a fine-tuned sentence-transformers dir")
    args = ap.parse_args()

    from ragplatform.db.embedded import stop_embedded_postgres
    from ragplatform.evaluation import evaluate
    from ragplatform.factory import apply_offline_env, build_platform
    from ragplatform.notebook import beir_slice
    from ragplatform.settings import Settings
    from ragplatform.spec import ChunkingSpec, CorpusSpec, EmbeddingSpec, IndexSpec, RetrievalSpec

    apply_offline_env()
    beir = args.beir_dir.expanduser().resolve()
    corpus_file = beir / "corpus.jsonl"
    if not corpus_file.is_file():
        print(f"error: {corpus_file} does not exist", file=sys.stderr)
        return 2
    if args.embedder_path is not None and not args.embedder_path.is_dir():
        print(f"error: --embedder-path {args.embedder_path} is not a directory", file=sys.stderr)
        return 2

    data = (
        args.data_dir.expanduser().resolve()
        if args.data_dir
        else Path(tempfile.mkdtemp(prefix="ragplatform-quality-"))
    )
    data.mkdir(parents=True, exist_ok=True)
    # the same slices (and names) as the notebooks: judged documents of the selected queries + others
    chosen = beir_slice(data, args.limit_queries, args.max_docs, beir_dir=beir, split_name=args.split)
    eval_set, corpus_path = chosen.eval_set, chosen.corpus_path
    if args.part != "all":
        eval_set = chosen.fit if args.part == "fit" else chosen.validation
    corpus_note = f"full corpus ({corpus_file})"
    if args.max_docs is not None:
        judged, total = chosen.judged_documents, chosen.documents
        corpus_note = (
            f"SLICE of {total} documents ({judged} judged for the selected queries + {total - judged} others); "
            "fewer distractors than the full corpus, so scores are inflated"
        )

    settings = Settings(
        _env_file=None,
        data_dir=data,
        datasets_dir=REPO / "datasets",  # type: ignore[call-arg]
        database_url=None,
        mongodb_uri=None,
        weaviate_url=None,
        mlflow_tracking_uri=None,
        llm={"providers": ["extractive"]},
    )
    index_name = f"quality-{beir.name}"[:100].replace(" ", "_")
    base = IndexSpec(
        name=index_name,
        corpus=CorpusSpec(paths=(str(corpus_path),), include_content=False),
        chunking=ChunkingSpec(
            chunk_size=args.chunk_size, chunk_overlap=args.chunk_overlap, title_prefix=args.title_prefix
        ),
    )
    retrieval = {
        "keyword": RetrievalSpec(mode="keyword"),
        "dense": RetrievalSpec(mode="dense"),
        "hybrid": RetrievalSpec(mode="hybrid", fusion=args.fusion, alpha=args.alpha, rrf_k=args.rrf_k),
    }
    rows: list[tuple[str, str, dict[str, float], float, float, str | None]] = []
    # validation questions whose relevant abstracts some fit question also cites ("seen"), and the rest:
    # a model fine-tuned on fit learns those abstracts, so the two groups move differently
    fit_docs = {d for item in chosen.fit for d in item.relevant_doc_ids}
    breakdown: list[tuple[str, float, float, int, int]] = []
    builds: list[str] = []

    def run_modes(p: Any, spec_base: IndexSpec, modes: list[str], label: str) -> None:
        t = time.perf_counter()
        first = p.indexes.build(
            spec_base.model_copy(update={"retrieval": retrieval[modes[0]]}),
            progress_printer(f"build {label}"),
        )
        s = first.stats
        builds.append(
            f"{label}: {s.documents} documents -> {s.chunks} chunks in {time.perf_counter() - t:.1f}s "
            f"(embedded {s.cache_misses}, cache hits {s.cache_hits})"
        )
        versions = {modes[0]: first.version.version}
        for mode in modes[1:]:
            r = p.indexes.build(spec_base.model_copy(update={"retrieval": retrieval[mode]}))
            versions[mode] = r.version.version
        embedder = p.indexes.embedder_for(spec_base.embedding)
        embedder.embed_query("warm up")  # model load is not query latency
        for mode in modes:
            clear_query_cache(embedder)
            shown = mode if label == "base" else f"{mode} ({label})"
            report = evaluate(
                p.indexes, versions[mode], eval_set, top_k=args.top_k, progress=progress_printer(shown)
            )
            lat = [r["retrieval_ms"] for r in report.rows]
            if args.part == "validation":
                by_seen: dict[bool, list[float]] = {True: [], False: []}
                for r in report.rows:
                    if "ndcg_at_10" in r:
                        by_seen[bool(set(r["relevant_doc_ids"]) & fit_docs)].append(r["ndcg_at_10"])
                seen, new = by_seen[True], by_seen[False]
                if seen and new:
                    breakdown.append((shown, sum(seen) / len(seen), sum(new) / len(new), len(seen), len(new)))
            rows.append(
                (
                    shown,
                    versions[mode],
                    report.metrics,
                    percentile(lat, 0.5),
                    percentile(lat, 0.95),
                    report.run_id,
                )
            )

    p = build_platform(settings)
    try:
        run_modes(p, base, list(args.modes), "base")
        if args.embedder_path is not None:
            # the version names its model; build, evaluation and serving all load it from there
            model = EmbeddingSpec(model=str(args.embedder_path.expanduser().resolve()))
            modes = [m for m in args.modes if m != "keyword"] or ["dense"]
            run_modes(p, base.model_copy(update={"embedding": model}), modes, "fine-tuned")
    finally:
        p.close()
        stop_embedded_postgres(settings.pg_dir)

    print()
    part = "" if args.part == "all" else f" ({args.part} part, 80/20 split, seed 0)"
    print(
        f"data: {beir} split={args.split}{part}, {len(eval_set)} judged queries (evaluation set {eval_set.name})"
    )
    print(f"corpus: {corpus_note}")
    for line in builds:
        print(f"index {line}")
    print(
        f"chunking: sentence {args.chunk_size}/{args.chunk_overlap} tokens"
        + (", title at the head of every chunk" if args.title_prefix else "")
    )
    hybrid = f"hybrid = {args.fusion}" + (
        f" alpha={args.alpha}" if args.fusion == "alpha" else f" (k={retrieval['hybrid'].rrf_k})"
    )
    print(
        f"{hybrid}; retrieval depth top_k={args.top_k}; latency per query = embed + search (means at right)"
    )
    print()
    print(
        f"{'mode':<24}{'version':>8}{'nDCG@10':>10}{'recall@100':>12}{'MRR@10':>9}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'embed/search ms':>18}"
    )
    for mode, version, met, p50, p95, _ in rows:
        recall = met.get("recall_at_100", float("nan"))
        print(
            f"{mode:<24}{version:>8}{met['ndcg_at_10']:>10.3f}{recall:>12.3f}{met['mrr_at_10']:>9.3f}"
            f"{p50:>9.1f}{p95:>9.1f}{met['embed_ms_mean']:>10.1f} /{met['search_ms_mean']:>6.1f}"
        )
    if breakdown:
        _, _, _, n_seen, n_new = breakdown[0]
        print()
        print(
            f"nDCG@10 by whether a fit question cites the relevant abstract: seen ({n_seen} questions) / "
            f"new ({n_new}); a model fine-tuned on fit learns the seen abstracts"
        )
        for mode, seen_mean, new_mean, _, _ in breakdown:
            print(f"  {mode:<24}{seen_mean:>8.3f} /{new_mean:>6.3f}")
    print()
    same = beir.name.lower() == "scifact" and args.split == "test" and args.max_docs is None
    caveat = "" if same else f" -- this run: {beir.name} {args.split}, not directly comparable"
    print(f"published nDCG@10 on the SciFact TEST split, full corpus{caveat}:")
    for label, value in PUBLISHED:
        print(f"  {label:<30}{value:>12}")
    print()
    print(f"MLflow: {settings.resolved_mlflow_uri} (artifacts {settings.mlflow_artifact_root})")
    for mode, _, _, _, _, run_id in rows:
        print(f"  {mode:<24}run {run_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
