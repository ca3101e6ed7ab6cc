"""Answer quality and latency of generator chains on an evaluation set (default: evals/demo.jsonl
over the demo corpus), printed and logged to MLflow as evaluation runs of the production index.

    python bench/answers.py [--chains extractive local,extractive] [--limit 37]

Metrics: contains-reference rate (the reference answer appears in the answer), token F1
(SQuAD-style), "I don't know" rate, p50/p95 latency.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import string
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def normalise(text: str) -> list[str]:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return text.split()


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = normalise(prediction), normalise(reference)
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if not same:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--evals", type=Path, default=REPO / "evals" / "demo.jsonl")
    ap.add_argument("--chains", nargs="+", default=["extractive", "local,extractive"])
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--max-tokens", type=int, default=80)
    args = ap.parse_args()

    from ragplatform.db.embedded import stop_embedded_postgres
    from ragplatform.factory import apply_offline_env, build_platform
    from ragplatform.seed import seed_content
    from ragplatform.settings import Settings
    from ragplatform.spec import IndexSpec

    apply_offline_env()
    questions = [json.loads(line) for line in args.evals.read_text().splitlines() if line.strip()]
    questions = questions[: args.limit] if args.limit else questions
    rows = []
    data = Path(tempfile.mkdtemp(prefix="ragplatform-bench-"))
    settings = Settings(
        _env_file=None,
        data_dir=data,
        datasets_dir=REPO / "datasets",
        database_url=None,  # type: ignore[call-arg]
        mongodb_uri=None,
        weaviate_url=None,
        mlflow_tracking_uri=None,
    )
    p = build_platform(settings)
    try:
        seed_content(p.content, settings.datasets_dir / "seed")
        version = p.indexes.ensure_production(IndexSpec())
        for chain in args.chains:
            chained = settings.model_copy(
                update={
                    "llm": settings.llm.model_copy(
                        update={"providers": chain.split(","), "max_tokens": args.max_tokens}
                    )
                }
            )
            p.settings = chained
            p._answers = None  # a fresh AnswerService with this chain
            answers = p.answers
            latencies, f1s, contains, idk = [], [], 0, 0
            for q in questions:
                t = time.perf_counter()
                a = answers.ask(q["question"], persist=False)
                latencies.append((time.perf_counter() - t) * 1000)
                ref = q.get("reference_answer") or ""
                contains += ref.lower() in a.answer.lower()
                f1s.append(token_f1(a.answer, ref))
                idk += a.unanswered
            n = len(questions)
            metrics = {
                "contains_reference": contains / n,
                "token_f1": statistics.mean(f1s),
                "idk_rate": idk / n,
                "latency_p50_ms": statistics.median(latencies),
                "latency_p95_ms": sorted(latencies)[max(0, int(0.95 * n) - 1)],
            }
            p.registry.log_evaluation(version.version, f"answers-{chain.replace(',', '+')}", metrics)
            rows.append((chain, contains, n, metrics))
    finally:
        p.close()
        stop_embedded_postgres(settings.pg_dir)
    print(f"evaluation set: {args.evals.name}, {len(questions)} questions, index version {version.version}")
    print(f"{'chain':<22}{'contains ref':>14}{'token F1':>10}{'IDK':>6}{'p50 ms':>10}{'p95 ms':>10}")
    for chain, hit, n, m in rows:
        print(
            f"{chain:<22}{f'{hit}/{n}':>14}{m['token_f1']:>10.3f}{m['idk_rate']:>6.2f}"
            f"{m['latency_p50_ms']:>10.0f}{m['latency_p95_ms']:>10.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
