"""WeaviateVectorIndex: the contract suite against a real server (WEAVIATE_URL), plus offline checks."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ragplatform.errors import InvalidInput
from ragplatform.vectorindex.base import VectorIndex
from ragplatform.vectorindex.weaviate import WeaviateVectorIndex, _to_filter, weaviate_name


def _load_contract():  # type: ignore[no-untyped-def]
    """Import the sibling contract module under a unique name (tests/ has no packages)."""
    name = "ragplatform_tests_vectorindex_contract"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("contract.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


contract = _load_contract()
WEAVIATE_URL = os.environ.get("WEAVIATE_URL")


@pytest.mark.weaviate
@pytest.mark.skipif(not WEAVIATE_URL, reason="needs a Weaviate server >= 1.32: set WEAVIATE_URL")
class TestWeaviateVectorIndex(contract.VectorIndexContract):  # type: ignore[misc, name-defined]
    supports_stemming = False  # Weaviate's BM25 tokenizes words but does not stem

    @pytest.fixture(scope="class")
    def vector_index(self) -> Iterator[WeaviateVectorIndex]:
        assert WEAVIATE_URL
        index = WeaviateVectorIndex(
            WEAVIATE_URL,
            api_key=os.environ.get("WEAVIATE_API_KEY") or None,
            grpc_port=int(os.environ["WEAVIATE_GRPC_PORT"]) if os.environ.get("WEAVIATE_GRPC_PORT") else None,
        )
        yield index
        index.close()

    def test_implements_protocol(self, vector_index: WeaviateVectorIndex) -> None:
        assert isinstance(vector_index, VectorIndex)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("demo", "Demo"), ("demo-v1.2", "Demo_v1_2"), ("Test_abc", "Test_abc")],
)
def test_weaviate_name(name: str, expected: str) -> None:
    assert weaviate_name(name) == expected


@pytest.mark.parametrize("name", ["", "1abc", "../x", "a b"])
def test_weaviate_name_refuses_bad_names(name: str) -> None:
    with pytest.raises(InvalidInput):
        weaviate_name(name)


def test_filters_build_without_a_server() -> None:
    assert _to_filter({}) is None
    assert _to_filter({"owner": "u1"}) is not None
    assert _to_filter({"owner": "u1", "kind": ["faq", "file"]}) is not None
    with pytest.raises(InvalidInput):
        _to_filter({"text": "x"})
