"""Fine-tuning the local embedder (a few CPU steps on a tiny set), saving it under the models
directory, and using it: an index built with ``finetuned/<name>`` is embedded, evaluated and
served with that model, never silently with the default one."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from ragplatform.answering.serving import ServingIndex
from ragplatform.errors import InvalidInput, NotFound
from ragplatform.evaluation import EvalItem, EvalSet, evaluate
from ragplatform.spec import ChunkingSpec, CorpusSpec, EmbeddingSpec, IndexSpec
from ragplatform.tuning import finetune as finetune_module
from ragplatform.tuning.finetune import (
    FinetuneConfig,
    FinetuneResult,
    TrainingExample,
    corpus_examples,
    finetune_embedder,
    log_finetune,
    mine_negatives,
    training_examples,
)

if TYPE_CHECKING:
    from ragplatform.factory import Platform

PAIRS = [
    (
        "who built the atmospheric engine",
        "Thomas Newcomen built the first practical atmospheric engine in 1712.",
    ),
    ("capital of poland", "Warsaw is the capital and largest city of Poland."),
    ("what does a steam turbine do", "A steam turbine extracts thermal energy from pressurized steam."),
    ("when did the normans arrive", "The Normans arrived in Normandy in the 10th century."),
    ("what is a genome", "A genome is all the genetic material of an organism."),
    ("how do vaccines work", "Vaccines train the immune system to recognise a pathogen."),
    ("what causes tides", "Tides are caused by the gravitational pull of the moon."),
    ("what is photosynthesis", "Photosynthesis turns light, water and carbon dioxide into sugar."),
]


@pytest.fixture(scope="module")
def tuned(platform: Platform) -> FinetuneResult:
    examples = [TrainingExample(q, p) for q, p in PAIRS]
    seen: list[tuple[str, int, int]] = []
    result = finetune_embedder(
        examples,
        platform.settings.models_dir,
        "tiny-test",
        config=FinetuneConfig(batch_size=4, max_seq_length=32, learning_rate=1e-4),
        progress=lambda *a: seen.append(a),
    )
    assert seen[0] == ("train", 0, 2) and seen[-1] == ("train", 2, 2)
    return result


def test_the_model_is_saved_under_the_models_dir(platform: Platform, tuned: FinetuneResult) -> None:
    assert tuned.path.parent == platform.settings.models_dir / "finetuned"
    assert tuned.path.name.startswith("tiny-test-") and tuned.model_ref == f"finetuned/{tuned.path.name}"
    assert (tuned.path / "config.json").is_file()
    assert tuned.steps == 2 and len(tuned.losses) == 2 and all(math.isfinite(v) for v in tuned.losses)


def test_an_index_spec_names_it_and_gets_a_different_model(platform: Platform, tuned: FinetuneResult) -> None:
    default = platform.indexes.embedder_for(EmbeddingSpec())
    mine = platform.indexes.embedder_for(EmbeddingSpec(model=tuned.model_ref))
    assert default is platform.embedder
    assert mine.model_id.startswith("local/tiny-test-") and mine.model_id != default.model_id
    text = "Warsaw is the capital of Poland."
    assert not np.allclose(mine.embed_documents([text])[0], default.embed_documents([text])[0])


def test_a_missing_model_is_named(platform: Platform) -> None:
    with pytest.raises(InvalidInput, match="finetuned/nope"):
        platform.indexes.embedder_for(EmbeddingSpec(model="finetuned/nope"))


def test_build_evaluate_and_serve_with_the_finetuned_model(platform: Platform, tuned: FinetuneResult) -> None:
    spec = IndexSpec(
        name="finetuned-demo",
        corpus=CorpusSpec(paths=("demo/warsaw.md", "demo/steam-engine.html"), include_content=False),
        chunking=ChunkingSpec(chunk_size=128, chunk_overlap=16),
        embedding=EmbeddingSpec(model=tuned.model_ref),
    )
    built = platform.indexes.build(spec)
    version = built.version.version
    mine = platform.indexes.embedder_for(spec.embedding)
    assert platform.indexes.retriever(version).embedder is mine
    questions = EvalSet(
        "ft-check",
        (EvalItem(id="q1", question="What is the capital of Poland?", relevant_doc_ids=("warsaw.md",)),),
    )
    report = evaluate(platform.indexes, version, questions, top_k=10, log_to_mlflow=False)
    assert report.metrics["hit_rate_at_10"] == 1.0

    before = platform.indexes.production()
    assert before is not None
    platform.indexes.promote(version, force=True, reason="fine-tuned embedder test")
    try:
        serving = ServingIndex(platform.registry, platform.index, platform.indexes.embedder_for)
        assert serving.current.version.version == version
        assert serving.current.retriever.embedder is mine
    finally:
        platform.indexes.promote(before.version, force=True, reason="restore after the fine-tuned test")


def test_the_finetune_run_is_logged_with_the_model_files(platform: Platform, tuned: FinetuneResult) -> None:
    run_id = log_finetune(platform.registry, tuned, {"note": "test"})
    client = platform.registry.client
    run = client.get_run(run_id)
    assert run.data.tags["kind"] == "finetune" and run.data.params["model_ref"] == tuned.model_ref
    assert [m.step for m in client.get_metric_history(run_id, "train_loss")] == [0, 1]
    files = {Path(a.path).name for a in client.list_artifacts(run_id, "model")}
    assert "config.json" in files
    assert {a.path for a in client.list_artifacts(run_id, "charts")} == {"charts/loss.png"}


def test_retraining_under_the_same_name_never_overwrites_a_model_in_use(
    platform: Platform, tuned: FinetuneResult
) -> None:
    again = finetune_embedder(
        [TrainingExample(q, p) for q, p in PAIRS],
        platform.settings.models_dir,
        "tiny-test",
        config=FinetuneConfig(batch_size=4, max_seq_length=32, learning_rate=1e-4, seed=1),
    )
    assert again.path != tuned.path and again.model_ref != tuned.model_ref
    assert (tuned.path / "config.json").is_file()  # the first one is still there, unchanged


def test_hard_negatives_are_mined_from_a_version(platform: Platform) -> None:
    production = platform.indexes.production()
    assert production is not None
    questions = EvalSet(
        "mine",
        (
            EvalItem(
                id="q",
                question="Who invented the atmospheric engine?",
                relevant_doc_ids=("steam-engine.html",),
            ),
        ),
    )
    ranked = mine_negatives(platform.indexes, production.version, questions, depth=10)
    assert ranked["q"][0] == "steam-engine.html" and len(ranked["q"]) == len(set(ranked["q"])) > 1


def test_training_examples_pair_questions_with_relevant_passages_and_hard_negatives() -> None:
    questions = EvalSet(
        "ex",
        (
            EvalItem(id="a", question="qa", relevant_doc_ids=("d1", "d2")),
            EvalItem(id="b", question="qb", relevant_doc_ids=("d3",)),
        ),
    )
    passages = {"d1": "one", "d2": "two", "d4": "four"}
    plain = training_examples(questions, passages)
    assert [(e.query, e.positive, e.negative) for e in plain] == [("qa", "one", None), ("qa", "two", None)]
    hard = training_examples(questions, passages, negatives={"a": ["d1", "d4", "d2"]})
    assert {e.negative for e in hard} == {"four"}
    with pytest.raises(InvalidInput, match="no relevant passage"):
        training_examples(questions, {"zz": "x"})


def test_several_hard_negatives_make_an_example_each() -> None:
    questions = EvalSet("ex", (EvalItem(id="a", question="qa", relevant_doc_ids=("d1",)),))
    passages = {"d1": "one", "d4": "four", "d5": "five", "d6": "six"}
    ranked = {"a": ["d4", "d1", "d5", "d6"]}
    examples = training_examples(questions, passages, ranked, hard_negatives=2)
    assert [(e.query, e.positive, e.negative) for e in examples] == [
        ("qa", "one", "four"),
        ("qa", "one", "five"),
    ]
    # a question with no non-relevant document ranked keeps its plain pair
    assert [e.negative for e in training_examples(questions, passages, {"a": ["d1"]}, hard_negatives=3)] == [
        None
    ]
    with pytest.raises(InvalidInput, match="hard_negatives must be at least 1"):
        training_examples(questions, passages, ranked, hard_negatives=0)


def _corpus(tmp_path: Path) -> Path:
    records = [
        {
            "_id": "1",
            "title": "Tides and the moon",
            "text": "Tides rise twice a day. The moon pulls the sea. So does the sun.",
        },
        {"_id": "2", "title": "", "text": "No title here. Two sentences only."},
        {"_id": "3", "title": "Genomes", "text": "Short."},
    ]
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


def test_corpus_examples_pair_titles_and_cloze_sentences_without_any_question(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    titles = corpus_examples(corpus, "title")
    assert [(e.query, e.positive, e.negative) for e in titles] == [
        ("Tides and the moon", "Tides rise twice a day. The moon pulls the sea. So does the sun.", None),
        ("Genomes", "Short.", None),
    ]
    (ict,) = corpus_examples(
        tmp_path, "ict", seed=3
    )  # the directory works too; only record 1 has 3 sentences
    sentences = ["Tides rise twice a day.", "The moon pulls the sea.", "So does the sun."]
    assert ict.query in sentences
    assert ict.positive.startswith("Tides and the moon. ") and ict.query not in ict.positive
    assert all(s in ict.positive for s in sentences if s != ict.query)
    assert len(corpus_examples(corpus, "title", limit=1)) == 1
    with pytest.raises(InvalidInput, match="kind must be"):
        corpus_examples(corpus, "summary")
    with pytest.raises(NotFound):
        corpus_examples(tmp_path / "missing.jsonl")


def test_examples_with_and_without_a_hard_negative_are_batched_apart() -> None:
    import random

    examples = [TrainingExample(f"q{i}", f"p{i}", f"n{i}" if i % 3 == 0 else None) for i in range(30)]
    batches = finetune_module._batches(examples, 4, random.Random(0))
    # 10 with a negative -> 2 full batches, 20 without -> 5; ragged ends dropped
    assert len(batches) == 7 and all(len(b) == 4 for b in batches)
    for batch in batches:
        assert len({examples[i].negative is None for i in batch}) == 1
    assert len({i for b in batches for i in b}) == 28


def test_finetune_config_names_a_bad_device() -> None:
    with pytest.raises(InvalidInput, match="device must be"):
        FinetuneConfig(device="tpu")
    assert FinetuneConfig(device="cuda:1").device == "cuda:1"
