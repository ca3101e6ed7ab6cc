"""Index versions as a notebook looks at them: which exist over a corpus, how they score on the
promotion gate's set, their MLflow runs, and what they retrieve."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from ragplatform.progress import Progress
from ragplatform.registry.base import IndexVersion
from ragplatform.spec import CorpusSpec, IndexSpec

if TYPE_CHECKING:
    import pandas as pd

    from ragplatform.evaluation.sets import EvalSet
    from ragplatform.indexing.manager import IndexManager
    from ragplatform.notebook.data import BeirSlice


def versions_over(manager: IndexManager, corpus: CorpusSpec) -> list[IndexVersion]:
    """Registered versions built over ``corpus`` as it is now (same files, unchanged since),
    whose collection still exists; newest first."""
    from ragplatform.indexing.build import select_corpus

    _, _, key = select_corpus(IndexSpec(corpus=corpus), manager.datasets_dir, manager.content)
    return [
        v
        for v in manager.versions()
        if v.spec.corpus == corpus
        and v.tags.get("corpus_key") == key
        and manager.index.has_collection(v.collection)
    ]


def latest_per_spec(versions: list[IndexVersion]) -> list[IndexVersion]:
    """The newest version of each distinct IndexSpec (rebuilds of one spec retrieve the same)."""
    seen: set[str] = set()
    out = []
    for v in sorted(versions, key=lambda v: int(v.version), reverse=True):
        if v.spec.fingerprint() not in seen:
            seen.add(v.spec.fingerprint())
            out.append(v)
    return out


def find_or_build(manager: IndexManager, spec: IndexSpec, progress: Progress | None = None) -> IndexVersion:
    """The newest version built from exactly ``spec`` over its corpus as it is now, else a new
    build of it. Raises InvalidInput for a bad corpus."""
    for version in versions_over(manager, spec.corpus):
        if version.spec == spec:
            return version
    return (manager.build(spec, progress) if progress else manager.build(spec)).version


def pick_version(
    manager: IndexManager, data: BeirSlice, version: str = "", progress: Progress | None = None
) -> IndexVersion:
    """``version`` when given; else the newest version over the slice's corpus (what
    ``01-build-index`` built last); else a build of the slice's default spec. Raises NotFound."""
    if version:
        return manager.registry.get_version(version)
    over = versions_over(manager, data.corpus)
    return over[0] if over else find_or_build(manager, data.spec(), progress)


def _describe(v: IndexVersion) -> dict[str, Any]:
    s = v.spec
    r = s.retrieval
    mode: str = r.mode
    if r.mode == "hybrid":
        mode = f"hybrid (alpha {r.alpha})" if r.fusion == "alpha" else f"hybrid (rrf k={r.rrf_k})"
    return {
        "version": v.version,
        "aliases": ", ".join(v.aliases),
        "name": s.name,
        "chunking": f"{s.chunking.strategy} {s.chunking.chunk_size}/{s.chunking.chunk_overlap}",
        "embedding": s.embedding.model if len(s.embedding.model) < 40 else "…" + s.embedding.model[-38:],
        "mode": mode,
        "corpus": f"first {s.corpus.max_documents} documents" if s.corpus.max_documents else "all",
        "documents": int(v.metrics.get("documents", 0)),
        "chunks": int(v.metrics.get("chunks", 0)),
    }


def versions_frame(versions: list[IndexVersion]) -> pd.DataFrame:
    """One row per version: what it was built from, its aliases and build size."""
    import pandas as pd

    rows = [_describe(v) | {"created": v.created_at.strftime("%Y-%m-%d %H:%M")} for v in versions]
    return pd.DataFrame(rows).set_index("version") if rows else pd.DataFrame()


def promotions_frame(manager: IndexManager) -> pd.DataFrame:
    """The last promotion verdict recorded on each version (promoted, forced, refused,
    rolled_back) with its reason, newest first."""
    import pandas as pd

    rows = [
        {
            "version": v.version,
            "aliases": ", ".join(v.aliases),
            "verdict": v.tags["promotion.verdict"],
            "forced": v.tags.get("promotion.forced") == "true",
            "at": v.tags.get("promotion.at", "")[:19],
            "reason": v.tags.get("promotion.reason", ""),
        }
        for v in manager.versions()
        if "promotion.verdict" in v.tags
    ]
    return (
        pd.DataFrame(rows).sort_values("at", ascending=False).set_index("version") if rows else pd.DataFrame()
    )


def gate_scores(
    manager: IndexManager, versions: list[IndexVersion], eval_set: EvalSet, progress: Progress | None = None
) -> pd.DataFrame:
    """Each version's score on the promotion gate's metric over ``eval_set``, as the gate itself
    computes it: the value an earlier evaluation recorded, or an evaluation now (logged)."""
    import pandas as pd

    rows = []
    for done, v in enumerate(versions):
        if progress:
            progress("score", done, len(versions))
        rows.append(_describe(v) | {manager.gate.primary_metric: manager.gate_score(v, eval_set)})
    if progress:
        progress("score", len(versions), len(versions))
    return pd.DataFrame(rows).set_index("version")


def run_summary(manager: IndexManager, run_id: str) -> dict[str, Any]:
    """A tracked run as the registry stored it: name, status, tags, params, metrics, artifacts.
    Raises NotFound."""
    run = manager.registry.get_run(run_id)
    return {
        "run_id": run_id,
        "run_name": run.name,
        "experiment_id": run.experiment_id,
        "status": run.status,
        "tags": dict(run.tags),
        "params": dict(run.params),
        "metrics": dict(run.metrics),
        "artifacts": manager.registry.list_artifacts(run_id),
    }


def artifact_image(manager: IndexManager, run_id: str, path: str) -> bytes:
    """The bytes of an image artifact of a run, e.g. ``charts/chunk_lengths.png``. Raises NotFound."""
    return manager.registry.read_artifact(run_id, path)


def retrieved_chunks(
    manager: IndexManager,
    version: str,
    question: str,
    relevant: Collection[str],
    k: int = 5,
    depth: int = 100,
) -> pd.DataFrame:
    """The first ``k`` chunks ``version`` retrieves for ``question`` with its own retrieval
    settings, searching ``depth`` deep as ``evaluate(top_k=depth)`` does (hybrid fusion ranks
    depend on the depth): rank, document, whether it is one of the ``relevant`` documents,
    score, text."""
    import pandas as pd

    from ragplatform.evaluation.metrics import chunk_doc_ids

    retriever = manager.retriever(version)
    rows = []
    for rank, hit in enumerate(retriever.search(question, top_k=max(k, depth)).hits[:k], 1):
        ids = chunk_doc_ids(hit.chunk)
        doc = next((i for i in ids if i in relevant), ids[0])
        text = hit.chunk.text
        rows.append(
            {
                "rank": rank,
                "doc": doc,
                "relevant": doc in relevant,
                "score": round(hit.score, 4),
                "text": text[:300] + ("…" if len(text) > 300 else ""),
            }
        )
    return pd.DataFrame(rows).set_index("rank") if rows else pd.DataFrame()
