"""OpenAIEmbedder and OllamaEmbedder against a real HTTP server on 127.0.0.1 speaking their wire formats."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import numpy as np
import pytest

from ragplatform.embeddings.base import Embedder
from ragplatform.embeddings.ollama import OllamaEmbedder
from ragplatform.embeddings.openai import OpenAIEmbedder
from ragplatform.errors import BackendUnavailable, InvalidInput


def raw_vector(text: str) -> list[float]:
    """Deliberately not unit length, so the client's normalisation shows."""
    return [float(len(text)), 3.0, 4.0]


@dataclass
class Recorder:
    requests: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    flaky_left: int = 0


def make_handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt: str, *args: Any) -> None:  # quiet test output
            pass

        def reply(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            recorder.requests.append((self.path, dict(self.headers), payload))
            model = payload.get("model")
            if model == "broken":
                return self.reply(500, {"error": {"message": "CUDA out of memory"}})
            if model == "too-long":
                return self.reply(400, {"error": {"message": "input is longer than 512 tokens"}})
            if model == "flaky" and recorder.flaky_left > 0:
                recorder.flaky_left -= 1
                return self.reply(503, {"error": "loading model"})
            texts = payload["input"]
            if self.path == "/v1/embeddings":
                if model == "missing":
                    return self.reply(404, {"error": {"message": "The model `missing` does not exist."}})
                data = [
                    {"object": "embedding", "index": i, "embedding": raw_vector(t)}
                    for i, t in enumerate(texts)
                ]
                return self.reply(200, {"object": "list", "data": data[::-1], "model": model})
            if self.path == "/api/embed":
                if model == "missing":
                    return self.reply(404, {"error": "model 'missing' not found, try pulling it first"})
                return self.reply(200, {"model": model, "embeddings": [raw_vector(t) for t in texts]})
            return self.reply(404, {"detail": "Not Found"})

    return Handler


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(recorder))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", recorder
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def recorder(server: tuple[str, Recorder]) -> Recorder:
    server[1].requests.clear()
    return server[1]


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def expected(texts: list[str]) -> np.ndarray:
    raw = np.asarray([raw_vector(t) for t in texts], dtype=np.float32)
    return raw / np.linalg.norm(raw, axis=1, keepdims=True)


TEXTS = ["a", "bb", "ccc", "dddd", "eeeee"]


def test_openai_embeds_in_batches_in_order_and_normalised(
    server: tuple[str, Recorder], recorder: Recorder
) -> None:
    url, _ = server
    embedder = OpenAIEmbedder(base_url=f"{url}/v1/", api_key="sk-test", model="bge-small", batch_size=2)
    assert embedder.model_id == "openai/bge-small"
    vectors = embedder.embed_documents(TEXTS)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, expected(TEXTS), rtol=1e-6)
    assert [r[2]["input"] for r in recorder.requests] == [["a", "bb"], ["ccc", "dddd"], ["eeeee"]]
    path, headers, payload = recorder.requests[0]
    assert path == "/v1/embeddings" and payload["model"] == "bge-small"
    assert headers["Authorization"] == "Bearer sk-test"
    assert embedder.dim == 3
    assert isinstance(embedder, Embedder)  # after a call: the protocol check reads ``dim``


def test_openai_query_and_dimension_probe(server: tuple[str, Recorder], recorder: Recorder) -> None:
    url, _ = server
    embedder = OpenAIEmbedder(base_url=f"{url}/v1", model="bge-small")
    assert embedder.dim == 3  # learned from one probe request
    assert len(recorder.requests) == 1 and "Authorization" not in recorder.requests[0][1]
    np.testing.assert_allclose(embedder.embed_query("hello"), expected(["hello"])[0], rtol=1e-6)
    embedder.embed_documents(["", "x"])
    assert recorder.requests[-1][2]["input"] == [" ", "x"]  # OpenAI refuses empty strings


def test_openai_wrong_configured_dim_is_invalid_input(server: tuple[str, Recorder]) -> None:
    url, _ = server
    with pytest.raises(InvalidInput, match="3-dimensional vectors, but dim is set to 768"):
        OpenAIEmbedder(base_url=f"{url}/v1", model="bge-small", dim=768).embed_query("x")


@pytest.mark.parametrize("make", [OpenAIEmbedder, OllamaEmbedder])
def test_error_status_is_backend_unavailable(
    server: tuple[str, Recorder], recorder: Recorder, make: Any
) -> None:
    url, _ = server
    base = f"{url}/v1" if make is OpenAIEmbedder else url
    embedder = make(base_url=base, model="broken", max_retries=1)
    with pytest.raises(BackendUnavailable, match="answered 500: CUDA out of memory"):
        embedder.embed_documents(["x"])
    assert sum(r[2]["model"] == "broken" for r in recorder.requests) == 2  # retried once
    with pytest.raises(BackendUnavailable, match="not"):
        make(base_url=base, model="missing").embed_documents(["x"])


@pytest.mark.parametrize("make", [OpenAIEmbedder, OllamaEmbedder])
def test_rejected_input_is_invalid_input(server: tuple[str, Recorder], make: Any) -> None:
    url, _ = server
    base = f"{url}/v1" if make is OpenAIEmbedder else url
    with pytest.raises(InvalidInput, match="longer than 512 tokens"):
        make(base_url=base, model="too-long").embed_query("x" * 5000)


@pytest.mark.parametrize("make", [OpenAIEmbedder, OllamaEmbedder])
def test_unreachable_server_is_backend_unavailable(make: Any) -> None:
    with pytest.raises(BackendUnavailable, match="cannot be reached"):
        make(base_url=closed_port_url(), model="m", max_retries=0).embed_query("x")


def test_a_transient_503_is_retried(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    recorder.flaky_left = 1
    vector = OllamaEmbedder(base_url=url, model="flaky").embed_query("abc")
    np.testing.assert_allclose(vector, expected(["abc"])[0], rtol=1e-6)


def test_ollama_native_api(server: tuple[str, Recorder], recorder: Recorder) -> None:
    url, _ = server
    embedder = OllamaEmbedder(
        base_url=url + "/", model="nomic-embed-text", dim=3, batch_size=4, keep_alive="10m"
    )
    assert isinstance(embedder, Embedder)  # with dim given, no probe request
    assert embedder.model_id == "ollama/nomic-embed-text"
    vectors = embedder.embed_documents(TEXTS)
    np.testing.assert_allclose(vectors, expected(TEXTS), rtol=1e-6)
    path, _, payload = recorder.requests[0]
    assert path == "/api/embed"
    assert payload == {"model": "nomic-embed-text", "input": TEXTS[:4], "truncate": True, "keep_alive": "10m"}
    assert embedder.dim == 3


def test_bad_configuration_is_refused_eagerly() -> None:
    with pytest.raises(InvalidInput, match="base_url must start with http"):
        OpenAIEmbedder(base_url="localhost:8000", model="m")
    with pytest.raises(InvalidInput, match="batch_size must be at least 1, got 0"):
        OllamaEmbedder(model="m", batch_size=0)


@pytest.mark.parametrize("make", [OpenAIEmbedder, OllamaEmbedder])
def test_only_httpx_errors_are_translated_a_bug_passes_through(make: Any) -> None:
    """A closed port is httpx's ConnectError → BackendUnavailable, with the driver's text left in
    the log; a text that is not a str makes httpx's JSON encoding raise TypeError: a bug, kept."""
    embedder = make(base_url=closed_port_url(), model="m", max_retries=0)
    with pytest.raises(BackendUnavailable) as unreachable:
        embedder.embed_query("x")
    assert isinstance(unreachable.value.__cause__, httpx.ConnectError)
    assert "Errno" not in unreachable.value.message and "refused" not in unreachable.value.message.lower()
    with pytest.raises(TypeError, match="JSON serializable"):
        embedder.embed_documents([b"bytes are not text"])
