"""The notebooks' data: a slice of a BEIR split (questions + a corpus with their judged documents)
and the chunks an IndexSpec makes of a corpus."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragplatform.evaluation.sets import EvalSet, load_beir, slice_beir_corpus, split
from ragplatform.notebook.workspace import default_beir_dir
from ragplatform.spec import CorpusSpec, IndexSpec

if TYPE_CHECKING:
    import pandas as pd

    from ragplatform.indexing.manager import IndexManager


@dataclass(frozen=True)
class BeirSlice:
    """The first judged questions of a BEIR split, and a corpus with every document judged for
    them plus some others (the distractors), or the whole corpus."""

    name: str
    eval_set: EvalSet
    corpus_path: Path
    documents: int
    judged_documents: int

    @property
    def corpus(self) -> CorpusSpec:
        return CorpusSpec(paths=(str(self.corpus_path),), include_content=False)

    def spec(self, **sections: Any) -> IndexSpec:
        """The IndexSpec over this corpus, named after the slice; ``sections`` (``chunking=``,
        ``retrieval=``, ``embedding=``, ...) replace the defaults."""
        return IndexSpec(name=self.name, corpus=self.corpus, **sections)

    @property
    def fit(self) -> EvalSet:
        """The questions to tune on (80%; ``split`` with its default seed)."""
        return split(self.eval_set, 0.2)[0]

    @property
    def validation(self) -> EvalSet:
        """The other 20%: what chooses between candidates, and the promotion gate's set."""
        return split(self.eval_set, 0.2)[1]


def beir_slice(
    data_dir: Path,
    queries: int | None,
    distractors: int | None,
    beir_dir: Path | None = None,
    split_name: str = "train",
) -> BeirSlice:
    """The first ``queries`` judged questions of ``split_name`` (0 or None: all) and a corpus of
    their judged documents plus the first ``distractors`` others (negative or None: the whole
    corpus, read in place). A slice is written to ``data_dir/beir-slices/<name>/corpus.jsonl``,
    rewritten only when it changes so its index collection is reused; the source stays
    untouched. Named as ``bench/quality.py`` names it, e.g. ``scifact-train-q200-slice1000``.

    ``beir_dir`` defaults to SciFact. Raises NotFound (no such directory or split), InvalidInput.
    """
    beir = (beir_dir or default_beir_dir()).expanduser().resolve()
    whole = distractors is None or distractors < 0
    name = f"{beir.name}-{split_name}" + (f"-q{queries}" if queries else "")
    if not whole:
        name += f"-slice{distractors}"
    eval_set = load_beir(beir, split_name, limit=queries or None, name=name)
    judged_ids = {doc for item in eval_set for doc in item.grades}
    if whole:
        corpus_path = beir / "corpus.jsonl"
        with corpus_path.open(encoding="utf-8") as handle:
            total = sum(1 for line in handle if line.strip())
        return BeirSlice(name, eval_set, corpus_path, total, len(judged_ids))
    corpus_path = Path(data_dir) / "beir-slices" / name / "corpus.jsonl"
    judged, total = slice_beir_corpus(beir / "corpus.jsonl", corpus_path, judged_ids, int(distractors or 0))
    return BeirSlice(name, eval_set, corpus_path, total, judged)


def chunk_table(manager: IndexManager, spec: IndexSpec) -> pd.DataFrame:
    """One row per chunk that ``spec`` makes of its corpus, exactly as a build makes them
    (nothing is embedded for the sentence, token and markdown strategies): document, position,
    characters and tokens (cl100k, the unit of ``chunk_size``). Raises InvalidInput."""
    import pandas as pd
    from llama_index.core.utils import get_tokenizer

    from ragplatform.indexing.build import load_documents, select_corpus
    from ragplatform.ingest.chunking import chunk_documents

    roots, rows, _ = select_corpus(spec, manager.datasets_dir, manager.content)
    chunks = chunk_documents(load_documents(spec, roots, rows), spec.chunking, manager.embedder)
    tokens = get_tokenizer()
    return pd.DataFrame(
        [
            {
                "doc_id": c.doc_id,
                "title": c.title,
                "chunk_index": c.extra.get("chunk_index", 0),
                "chars": len(c.text),
                "tokens": len(tokens(c.text)),
            }
            for c in chunks
        ]
    )
