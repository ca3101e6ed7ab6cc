"""Fine-tune the local MiniLM embedder on training queries, offline, on the CPU or a GPU.

Training data are (query, relevant passage) pairs, optionally with a hard negative each
(a passage the current index ranks high that is not relevant; ``training_examples`` can make
several examples per pair, one per hard negative), and optionally unsupervised pairs drawn from
the corpus alone (``corpus_examples``: title → text, and one sentence → the rest of its
abstract), which adapt the model to every document of the corpus rather than to the few that
the training questions cite. The loss is sentence-transformers' MultipleNegativesRankingLoss:
every other passage in the batch is a negative too, which is what makes a few hundred pairs
enough to move a retrieval metric. The loop is plain PyTorch (no ``accelerate``), so it runs
wherever the embedder runs; ``FinetuneConfig.device="auto"`` takes a CUDA GPU when torch sees
one (the SciFact recipe in the README: about 90 s on one H100, about 3.5 hours on two CPU cores).

The result is a sentence-transformers directory under the platform's models directory,
``<data_dir>/models/finetuned/<name>-<hash of the weights>``, never overwritten; an index spec
names it with ``EmbeddingSpec(model=result.model_ref)``, and the build, the evaluation and
``ragserve`` all load it from there. ``log_finetune`` records the run (parameters, loss curve, the model
files) in MLflow.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragplatform.errors import InvalidInput, NotFound
from ragplatform.evaluation.sets import EvalSet
from ragplatform.progress import Progress, no_progress
from ragplatform.registry.base import IndexRegistry

if TYPE_CHECKING:
    from ragplatform.indexing.manager import IndexManager

log = logging.getLogger(__name__)

FINETUNED_PREFIX = "finetuned"


@dataclass(frozen=True)
class TrainingExample:
    query: str
    positive: str
    negative: str | None = None


@dataclass(frozen=True)
class FinetuneConfig:
    epochs: int = 1
    batch_size: int = 32
    learning_rate: float = 3e-5
    warmup_fraction: float = 0.1
    max_seq_length: int = 256
    scale: float = 20.0  # MultipleNegativesRankingLoss temperature (cosine × scale)
    seed: int = 0
    device: str = "auto"  # "auto": a CUDA GPU when torch sees one, else the CPU; or "cpu", "cuda", "cuda:1"

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 2:
            bad = "epochs" if self.epochs < 1 else "batch_size"
            raise InvalidInput(
                "epochs must be at least 1 and batch_size at least 2 (in-batch negatives)",
                field=bad,
                value=getattr(self, bad),
            )
        if not 0 < self.learning_rate < 1:
            raise InvalidInput(
                f"learning_rate must be between 0 and 1, got {self.learning_rate}",
                field="learning_rate",
                value=self.learning_rate,
            )
        if not 16 <= self.max_seq_length <= 512:
            raise InvalidInput(
                f"max_seq_length must be between 16 and 512, got {self.max_seq_length}",
                field="max_seq_length",
                value=self.max_seq_length,
            )
        if not (self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:")):
            raise InvalidInput(
                f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {self.device!r}",
                field="device",
                value=self.device,
            )


@dataclass
class FinetuneResult:
    name: str
    path: Path
    model_ref: str  # what EmbeddingSpec.model takes: finetuned/<name>
    examples: int
    steps: int
    seconds: float
    losses: list[float] = field(default_factory=list)
    config: FinetuneConfig = field(default_factory=FinetuneConfig)
    base_model: str = ""
    run_id: str | None = None


def read_beir_passages(corpus: Path | str, ids: Iterable[str] | None = None) -> dict[str, str]:
    """``_id`` → ``"title. text"`` from a BEIR ``corpus.jsonl`` (only ``ids`` when given)."""
    path = Path(corpus)
    if path.is_dir():
        path = path / "corpus.jsonl"
    if not path.is_file():
        raise NotFound(f"BEIR corpus {path} does not exist")
    wanted = set(ids) if ids is not None else None
    out: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            record = json.loads(line)
            doc_id = str(record.get("_id", ""))
            if wanted is not None and doc_id not in wanted:
                continue
            title = str(record.get("title") or "").strip()
            text = str(record.get("text") or "").strip()
            out[doc_id] = f"{title}. {text}" if title else text
    return out


def training_examples(
    eval_set: EvalSet,
    passages: Mapping[str, str],
    negatives: Mapping[str, Sequence[str]] | None = None,
    hard_negatives: int = 1,
) -> list[TrainingExample]:
    """One example per (question, relevant document) with the document's passage; with
    ``negatives`` (question id → ranked document ids from a current index), the first
    ``hard_negatives`` non-relevant ones each make an example of their own (the same question and
    passage, another hard negative): passages the current index confuses with the answer.
    Raises InvalidInput when no relevant document of any question is in ``passages``."""
    if hard_negatives < 1:
        raise InvalidInput(
            f"hard_negatives must be at least 1, got {hard_negatives}",
            field="hard_negatives",
            value=hard_negatives,
        )
    examples: list[TrainingExample] = []
    for item in eval_set.items:
        hard: list[str | None] = [None]
        if negatives is not None:
            relevant = set(item.relevant_doc_ids)
            ranked = [passages[d] for d in negatives.get(item.id, ()) if d not in relevant and d in passages]
            hard = list(ranked[:hard_negatives]) or [None]
        for doc_id in item.relevant_doc_ids:
            if doc_id in passages:
                examples.extend(TrainingExample(item.question, passages[doc_id], h) for h in hard)
    if not examples:
        raise InvalidInput(
            f"no relevant passage of {eval_set.name!r} was found in the corpus given", field="passages"
        )
    return examples


def corpus_examples(
    corpus: Path | str, kind: str = "title", limit: int | None = None, seed: int = 0
) -> list[TrainingExample]:
    """Unsupervised pairs from a BEIR ``corpus.jsonl`` alone (no question, no judgement), to adapt
    the embedder to the corpus's domain beside the few judged questions:

    - ``"title"``: the title as the query, the text as the passage;
    - ``"ict"`` (inverse cloze task): one sentence of the text as the query, the title and the
      rest of the text as the passage.

    Records without a title (``"title"``) or with fewer than three sentences (``"ict"``) give
    nothing. At most ``limit`` pairs, drawn with ``seed``. Raises NotFound, InvalidInput."""
    if kind not in ("title", "ict"):
        raise InvalidInput(f"kind must be 'title' or 'ict', got {kind!r}", field="kind", value=kind)
    path = Path(corpus)
    if path.is_dir():
        path = path / "corpus.jsonl"
    if not path.is_file():
        raise NotFound(f"BEIR corpus {path} does not exist")
    rng = random.Random(seed)
    out: list[TrainingExample] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            record = json.loads(line)
            title = str(record.get("title") or "").strip()
            text = str(record.get("text") or "").strip()
            if kind == "title":
                if title and text:
                    out.append(TrainingExample(title, text))
                continue
            sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
            if len(sentences) < 3:
                continue
            i = rng.randrange(len(sentences))
            rest = " ".join(sentences[:i] + sentences[i + 1 :])
            out.append(TrainingExample(sentences[i], f"{title}. {rest}" if title else rest))
    if limit is not None and len(out) > limit:
        out = rng.sample(out, limit)
    if not out:
        raise InvalidInput(f"{path} gave no {kind} pairs", field="corpus")
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def _batches(examples: Sequence[TrainingExample], batch_size: int, rng: random.Random) -> list[list[int]]:
    """One epoch's batches of example indexes. Examples with a hard negative and those without
    are batched apart (a batch's columns must agree); the ragged end of each group is dropped."""
    groups = [
        [i for i, e in enumerate(examples) if e.negative],
        [i for i, e in enumerate(examples) if not e.negative],
    ]
    batches: list[list[int]] = []
    for group in groups:
        rng.shuffle(group)
        batches.extend(group[b : b + batch_size] for b in range(0, len(group) - batch_size + 1, batch_size))
    rng.shuffle(batches)
    return batches


def finetune_embedder(
    examples: Sequence[TrainingExample],
    models_dir: Path,
    name: str,
    *,
    base_model: Path | str | None = None,
    config: FinetuneConfig | None = None,
    progress: Progress = no_progress,
) -> FinetuneResult:
    """Train a copy of ``base_model`` (default: the bundled all-MiniLM-L6-v2) on ``config.device``
    and save it to ``models_dir/finetuned/<name>``. Examples with and without a hard negative may
    be mixed: they are batched apart. ``progress`` gets ``("train", step, steps)``.
    Raises InvalidInput (bad name, too few examples)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.losses import MultipleNegativesRankingLoss
    from sentence_transformers.util import batch_to_device

    from ragplatform.embeddings.local import available_cpus, default_model_path

    config = config or FinetuneConfig()
    if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        raise InvalidInput(
            f"model name must be letters, digits, '-', '_' or '.', got {name!r}", field="name", value=name
        )
    if len(examples) < config.batch_size:
        raise InvalidInput(
            f"{len(examples)} training examples are fewer than one batch ({config.batch_size}); "
            "lower batch_size or add questions",
            field="examples",
            value=len(examples),
        )
    base = Path(base_model) if base_model is not None else default_model_path()
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    if torch.get_num_threads() > available_cpus():
        torch.set_num_threads(available_cpus())

    device = config.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    model = SentenceTransformer(str(base), device=device, local_files_only=True)
    model.max_seq_length = config.max_seq_length
    loss_fn = MultipleNegativesRankingLoss(model, scale=config.scale)

    rng = random.Random(config.seed)
    with_negative = sum(1 for e in examples if e.negative)  # the two groups _batches makes
    steps = (
        with_negative // config.batch_size + (len(examples) - with_negative) // config.batch_size
    ) * config.epochs
    if steps == 0:
        raise InvalidInput(
            f"no full batch of {config.batch_size}: examples with and without a hard negative are "
            "batched apart; lower batch_size or add questions",
            field="batch_size",
            value=config.batch_size,
        )
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.01)
    warmup = max(1, int(steps * config.warmup_fraction))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / max(1, steps - warmup))
    )
    losses_seen: list[float] = []
    started = time.perf_counter()
    step = 0
    progress("train", 0, steps)
    model.train()
    for _ in range(config.epochs):
        for indexes in _batches(examples, config.batch_size, rng):
            batch = [examples[i] for i in indexes]
            columns = [[e.query for e in batch], [e.positive for e in batch]]
            if batch[0].negative:
                columns.append([e.negative or "" for e in batch])
            features = [batch_to_device(model.preprocess(col), model.device) for col in columns]
            loss = loss_fn(features, torch.empty(0))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            losses_seen.append(float(loss.detach()))
            progress("train", step, steps)
    model.eval()
    model.to("cpu")  # saved weights are device-neutral; serving loads them on the CPU
    out = _save_immutable(
        model,
        models_dir / FINETUNED_PREFIX,
        name,
        {"base_model": str(base), "examples": len(examples), **asdict(config)},
    )
    result = FinetuneResult(
        name=out.name,
        path=out,
        model_ref=f"{FINETUNED_PREFIX}/{out.name}",
        examples=len(examples),
        steps=steps,
        seconds=time.perf_counter() - started,
        losses=losses_seen,
        config=config,
        base_model=str(base),
    )
    log.info("fine-tuned %s: %d examples, %d steps in %.0fs", out, len(examples), steps, result.seconds)
    return result


def _save_immutable(model: Any, parent: Path, name: str, meta: Mapping[str, Any]) -> Path:
    """Save to ``parent/<name>-<hash of the weights>`` and return it. A directory is never
    overwritten: an index built with one set of weights keeps finding exactly those, however
    often a model of the same name is retrained."""
    import shutil
    import tempfile

    from ragplatform.embeddings.local import directory_hash

    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=parent))
    try:
        model.save(str(tmp))
        (tmp / "ragplatform_finetune.json").write_text(json.dumps(dict(meta), indent=1))
        final = parent / f"{name}-{directory_hash(tmp)}"
        if final.exists():  # the same weights again (same data, config and seed)
            shutil.rmtree(tmp)
        else:
            tmp.rename(final)
        return final
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def log_finetune(
    registry: IndexRegistry, result: FinetuneResult, extra: Mapping[str, Any] | None = None
) -> str:
    """A tracked run (``kind=finetune``): parameters, the loss curve (metric ``train_loss`` by
    step and ``charts/loss.png``) and the model directory as artifacts under ``model/``."""
    import tempfile

    params = {
        "base_model": result.base_model,
        "model_ref": result.model_ref,
        "examples": result.examples,
        "steps": result.steps,
        **{f"config.{k}": v for k, v in asdict(result.config).items()},
        **dict(extra or {}),
    }
    with registry.run("finetune", f"finetune-{result.name}", {"model_ref": result.model_ref}) as run:
        run.log_series("train_loss", result.losses)
        run.log_metrics({"train_seconds": result.seconds})
        run.log_params(params)
        run.log_artifacts(result.path, "model")
        if result.losses:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            with tempfile.TemporaryDirectory() as tmp:
                fig, ax = plt.subplots(figsize=(6, 3.5))
                ax.plot(range(1, len(result.losses) + 1), result.losses)
                ax.set_xlabel("step")
                ax.set_ylabel("MultipleNegativesRankingLoss")
                ax.set_title(f"fine-tuning {result.name}")
                fig.tight_layout()
                chart = Path(tmp) / "loss.png"
                fig.savefig(chart, dpi=100)
                plt.close(fig)
                run.log_artifact(chart, "charts")
    result.run_id = run.run_id
    return run.run_id


def mine_negatives(
    manager: IndexManager, version: str, eval_set: EvalSet, depth: int = 20, progress: Progress = no_progress
) -> dict[str, list[str]]:
    """Question id → the document ids ``version`` ranks highest for it (chunk hits collapsed to
    documents, best first): ``training_examples`` takes the first non-relevant one as a hard
    negative, a passage the current index confuses with the answer."""
    from ragplatform.evaluation.metrics import ranked_doc_ids

    retriever = manager.retriever(version)
    out: dict[str, list[str]] = {}
    total = len(eval_set.items)
    progress("mine", 0, total)
    for done, item in enumerate(eval_set.items, 1):
        hits = retriever.search(item.question, top_k=depth).hits
        out[item.id] = ranked_doc_ids(h.chunk for h in hits)
        progress("mine", done, total)
    return out
