"""The error tree: map_exceptions translates only the driver errors it is given; fields ride along."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from ragplatform.errors import BackendUnavailable, InvalidInput, NotFound, TooLarge, map_exceptions


def test_map_exceptions_translates_only_what_it_is_given_most_specific_first() -> None:
    mapping = {
        OSError: lambda exc: BackendUnavailable(f"store: {exc.__class__.__name__}"),
        FileNotFoundError: lambda exc: NotFound("gone"),
    }
    with pytest.raises(NotFound, match="gone") as caught, map_exceptions(mapping):
        raise FileNotFoundError("x")
    assert isinstance(caught.value.__cause__, FileNotFoundError)
    with pytest.raises(BackendUnavailable, match="store: PermissionError"), map_exceptions(mapping):
        raise PermissionError("ro")
    with pytest.raises(KeyError), map_exceptions(mapping):  # a bug stays a bug
        raise KeyError("bug")
    with pytest.raises(InvalidInput, match="already ours"), map_exceptions(mapping):
        raise InvalidInput("already ours")


def test_invalid_input_carries_its_field_and_value() -> None:
    err = TooLarge("too big", field="file", value=123)
    assert (err.message, err.field, err.value) == ("too big", "file", 123)
    assert InvalidInput("plain").field is None


# -- core calls name the field and the value they refuse ------------------------------------


def test_a_bad_page_names_skip_or_limit() -> None:
    from ragplatform.content.postgres import check_page

    with pytest.raises(InvalidInput) as bad_limit:
        check_page(0, 0)
    assert (bad_limit.value.field, bad_limit.value.value) == ("limit", 0)
    with pytest.raises(InvalidInput) as bad_skip:
        check_page(-3, 10)
    assert (bad_skip.value.field, bad_skip.value.value) == ("skip", -3)


def test_config_errors_name_the_setting() -> None:
    from ragplatform.evaluation.gate import GateConfig
    from ragplatform.tuning.finetune import FinetuneConfig
    from ragplatform.tuning.sweep import SweepConfig

    with pytest.raises(InvalidInput, match="chunk_size") as sweep:
        SweepConfig.from_mapping({"chunking": [{"chunk_size": [256, 8]}]})
    assert (sweep.value.field, sweep.value.value) == ("chunking.chunk_size", 8)
    with pytest.raises(InvalidInput, match="top_k must be between") as top_k:
        SweepConfig.from_mapping({"top_k": 0})
    assert (top_k.value.field, top_k.value.value) == ("top_k", 0)
    with pytest.raises(InvalidInput, match=r"tolerance must be between 0 and 1, got 2\.0") as gate:
        GateConfig(tolerance=2.0)
    assert (gate.value.field, gate.value.value) == ("tolerance", 2.0)
    with pytest.raises(InvalidInput) as finetune:
        FinetuneConfig(batch_size=1)
    assert (finetune.value.field, finetune.value.value) == ("batch_size", 1)


def test_an_evaluation_file_error_names_the_record_field(tmp_path: Path) -> None:
    from ragplatform.evaluation.sets import load_jsonl

    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "q1", "question": "a?"}\n{"id": "q1", "question": "b?"}\n')
    with pytest.raises(InvalidInput, match=r"set.jsonl:2: duplicate id 'q1' \(first on line 1\)") as dup:
        load_jsonl(path)
    assert (dup.value.field, dup.value.value) == ("id", "q1")


def test_resolving_with_a_too_long_question_names_the_question_and_its_length() -> None:
    from ragplatform.answering.unanswered import UnansweredQueue
    from ragplatform.content.base import MAX_SHORT
    from ragplatform.sessions.base import Message

    class Sessions:  # just enough of a SessionStore for an open queue item
        def get_message(self, message_id: str) -> Message:
            meta = {"unanswered": True, "question": "q?"}
            return Message(
                id=message_id,
                session_id="s",
                role="assistant",
                content="?",
                created_at=datetime.now(UTC),
                metadata=meta,
            )

    queue = UnansweredQueue(cast(Any, Sessions()), cast(Any, None))
    long_question = "x" * (MAX_SHORT + 1)
    with pytest.raises(InvalidInput, match=f"question is {MAX_SHORT + 1} characters long") as bad:
        queue.resolve("m1", "an answer", question=long_question)
    assert (bad.value.field, bad.value.value) == ("question", MAX_SHORT + 1)
    with pytest.raises(InvalidInput, match="answer must not be empty") as empty:
        queue.resolve("m1", "  ")
    assert (empty.value.field, empty.value.value) == ("answer", 0)


def test_vector_query_validation_names_the_bad_field_and_value() -> None:
    from ragplatform.vectorindex.base import MAX_TOP_K, VectorQuery

    with pytest.raises(InvalidInput, match="top_k must be between") as bad_k:
        VectorQuery(text="q", mode="keyword", top_k=MAX_TOP_K + 1).validate()
    assert (bad_k.value.field, bad_k.value.value) == ("top_k", MAX_TOP_K + 1)
    with pytest.raises(InvalidInput, match="alpha must be between") as bad_alpha:
        VectorQuery(text="q", mode="keyword", alpha=1.5).validate()
    assert (bad_alpha.value.field, bad_alpha.value.value) == ("alpha", 1.5)
    with pytest.raises(InvalidInput, match="cannot filter on") as bad_filter:
        VectorQuery(text="q", mode="keyword", filters={"secret": "x"}).validate()
    assert (bad_filter.value.field, bad_filter.value.value) == ("filters", "secret")


def test_embedder_and_generator_chain_settings_name_the_bad_field() -> None:
    from ragplatform.embeddings.openai import OpenAIEmbedder
    from ragplatform.generation.fallback import parse_provider_chain

    with pytest.raises(InvalidInput, match="batch_size must be at least 1") as bad_batch:
        OpenAIEmbedder(base_url="http://localhost:1", model="m", batch_size=0)
    assert (bad_batch.value.field, bad_batch.value.value) == ("batch_size", 0)
    with pytest.raises(InvalidInput, match="unknown generator") as bad_chain:
        parse_provider_chain("gpt,local")
    assert (bad_chain.value.field, bad_chain.value.value) == ("providers", "gpt")
