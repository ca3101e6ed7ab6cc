"""WeaviateVectorIndex: the contract suite against a real server (WEAVIATE_URL), plus offline checks."""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import weaviate
from weaviate.connect import ConnectionParams
from weaviate.exceptions import UnexpectedStatusCodeError, WeaviateBaseError, WeaviateInvalidInputError

from ragplatform.errors import BackendUnavailable, Conflict, InvalidInput, NotFound
from ragplatform.vectorindex.base import VectorIndex
from ragplatform.vectorindex.weaviate import WeaviateVectorIndex, _to_filter, weaviate_errors, weaviate_name


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


# -- driver errors: only weaviate-client's (and its httpx/gRPC transport's) are translated -------


def _closed_ports() -> tuple[int, int]:
    """Two distinct ports on 127.0.0.1 where nothing listens (bound together, then released)."""
    with socket.socket() as a, socket.socket() as b:
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        return a.getsockname()[1], b.getsockname()[1]


def test_weaviate_errors_passes_a_bug_through_unchanged() -> None:
    for bug in (TypeError("bug"), AttributeError("bug"), ValueError("bug"), RuntimeError("bug")):
        with pytest.raises(type(bug)) as raised, weaviate_errors("c"):
            raise bug
        assert raised.value is bug


def _status_error(status: int, body: str) -> UnexpectedStatusCodeError:
    request = httpx.Request("GET", "http://weaviate.test/v1/schema/C")
    return UnexpectedStatusCodeError("Weaviate said", httpx.Response(status, text=body, request=request))


@pytest.mark.parametrize(
    ("driver_error", "expected"),
    [
        (lambda: _status_error(404, '{"error": "no such class"}'), NotFound),
        (lambda: _status_error(422, '{"error": [{"message": "vector lengths don\'t match"}]}'), InvalidInput),
        (lambda: _status_error(409, '{"error": "class C already exists"}'), Conflict),
        (lambda: _status_error(500, '{"error": "disk full at /var/lib/weaviate"}'), BackendUnavailable),
        (lambda: WeaviateInvalidInputError("bad argument"), InvalidInput),
        (lambda: httpx.ReadError("connection reset by peer"), BackendUnavailable),
    ],
)
def test_weaviate_errors_maps_the_drivers_types(
    driver_error: Callable[[], Exception], expected: type[Exception]
) -> None:
    error = driver_error()
    with pytest.raises(expected) as raised, weaviate_errors("c"):
        raise error
    assert raised.value.__cause__ is error
    assert not [
        t for t in ("disk full", "vector lengths", "reset by peer", "no such class") if t in str(raised.value)
    ]


def test_a_closed_port_is_backend_unavailable() -> None:
    http_port, grpc_port = _closed_ports()
    with pytest.raises(BackendUnavailable, match="Weaviate cannot be reached") as raised:
        WeaviateVectorIndex(f"http://127.0.0.1:{http_port}", grpc_port=grpc_port, timeout_s=2)
    assert isinstance(raised.value.__cause__, WeaviateBaseError)


def test_a_client_that_is_not_connected_is_backend_unavailable() -> None:
    http_port, grpc_port = _closed_ports()
    params = ConnectionParams.from_params(
        http_host="127.0.0.1",
        http_port=http_port,
        http_secure=False,
        grpc_host="127.0.0.1",
        grpc_port=grpc_port,
        grpc_secure=False,
    )
    client = weaviate.WeaviateClient(connection_params=params, skip_init_checks=True)
    index = WeaviateVectorIndex("unused", client=client)
    with pytest.raises(BackendUnavailable) as raised:
        index.list_collections()
    assert isinstance(raised.value.__cause__, WeaviateBaseError)
    with pytest.raises(BackendUnavailable):
        index.count("Test_x")
    client.close()


def test_a_bad_port_in_the_url_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="WEAVIATE_URL"):
        WeaviateVectorIndex("http://127.0.0.1:99999")
