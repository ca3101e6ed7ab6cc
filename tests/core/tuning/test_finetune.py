"""Fine-tuning the local embedder (a few CPU steps on a tiny set), saving it under the models
directory, and using it: an index built with ``finetuned/<name>`` is embedded, evaluated and
served with that model, never silently with the default one."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from ragplatform.answering.serving import ServingIndex
from ragplatform.errors import InvalidInput
from ragplatform.evaluation import EvalItem, EvalSet, evaluate, retriever_for
from ragplatform.spec import ChunkingSpec, CorpusSpec, EmbeddingSpec, IndexSpec
from ragplatform.tuning.finetune import (
    FinetuneConfig,
    FinetuneResult,
    TrainingExample,
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
    assert retriever_for(platform.indexes, version).embedder is mine
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
