"""IndexSpec fields either do something or are refused (issue 9): ``retrieval.rerank`` is refused
until reranking exists; ``engine`` resolves to the platform's engine and refuses another one."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ragplatform.errors import InvalidInput
from ragplatform.spec import IndexSpec, RetrievalSpec


def test_rerank_is_refused_not_ignored() -> None:
    with pytest.raises(ValidationError, match="rerank is not available yet"):
        RetrievalSpec(rerank=True)
    assert RetrievalSpec().rerank is False


def test_engine_resolves_to_the_platforms_and_refuses_another() -> None:
    spec = IndexSpec()
    assert spec.engine is None
    assert spec.for_engine("lancedb").engine == "lancedb"
    assert spec.for_engine("lancedb").data_key() != spec.for_engine("weaviate").data_key()
    with pytest.raises(InvalidInput, match="asks for the weaviate engine") as refused:
        IndexSpec(engine="weaviate").for_engine("lancedb")
    assert (refused.value.field, refused.value.value) == ("engine", "weaviate")
