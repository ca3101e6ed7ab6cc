"""Remote generators against real localhost HTTP servers speaking each provider's streaming format."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from gen_fakes import FakeProvider, Part, Reply, ndjson, sse

from ragplatform.errors import BackendUnavailable
from ragplatform.generation.anthropic import AnthropicGenerator
from ragplatform.generation.base import GenerationRequest, GenerationStats, Generator
from ragplatform.generation.gemini import GeminiGenerator
from ragplatform.generation.httpstream import make_client, open_stream
from ragplatform.generation.huggingface import HuggingFaceGenerator
from ragplatform.generation.ollama import OllamaGenerator
from ragplatform.generation.openai_compat import OpenAICompatGenerator
from ragplatform.schema import Citation

PIECES = ["The library", " closes at 6 pm", " on Fridays [1]."]


def _openai_chunk(delta: dict[str, Any], finish: str | None = None) -> str:
    return sse(
        {
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def _gemini_chunk(text: str, finish: str | None = None) -> str:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
    data: dict[str, Any] = {"candidates": [candidate]}
    if finish:
        candidate["finishReason"] = finish
        data["usageMetadata"] = {"promptTokenCount": 120, "candidatesTokenCount": 9, "totalTokenCount": 129}
    return sse(data)


@dataclass
class Provider:
    """How one provider is built, what its server says, and what the request must look like."""

    make: Callable[[str], Generator]
    path: str
    content_type: str
    first: Part  # the first event, carrying the first piece
    rest: list[Part]  # the remaining events, through the end marker
    mid_stream_error: Part
    auth_error: Reply
    auth_header: tuple[str, str] | None


PROVIDERS: dict[str, Provider] = {
    "openai": Provider(
        make=lambda url: OpenAICompatGenerator(url + "/v1", "sk-test", "test-model", timeout=5),
        path="/v1/chat/completions",
        content_type="text/event-stream",
        first=_openai_chunk({"role": "assistant", "content": PIECES[0]}),
        rest=[
            _openai_chunk({"content": PIECES[1]}),
            _openai_chunk({"content": PIECES[2]}),
            _openai_chunk({}, finish="stop"),
            sse(
                {"choices": [], "usage": {"prompt_tokens": 120, "completion_tokens": 9, "total_tokens": 129}}
            ),
            sse("[DONE]"),
        ],
        mid_stream_error=sse({"error": {"message": "model overloaded", "type": "server_error"}}),
        auth_error=Reply(
            401,
            "application/json",
            ['{"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}'],
        ),
        auth_header=("authorization", "Bearer sk-test"),
    ),
    "ollama": Provider(
        make=lambda url: OllamaGenerator(url, "llama3.2", timeout=5),
        path="/api/chat",
        content_type="application/x-ndjson",
        first=ndjson(
            {"model": "llama3.2", "message": {"role": "assistant", "content": PIECES[0]}, "done": False}
        ),
        rest=[
            ndjson(
                {"model": "llama3.2", "message": {"role": "assistant", "content": PIECES[1]}, "done": False}
            ),
            ndjson(
                {"model": "llama3.2", "message": {"role": "assistant", "content": PIECES[2]}, "done": False}
            ),
            ndjson(
                {
                    "model": "llama3.2",
                    "message": {"role": "assistant", "content": ""},
                    "done": True,
                    "done_reason": "stop",
                    "prompt_eval_count": 120,
                    "eval_count": 9,
                }
            ),
        ],
        mid_stream_error=ndjson({"error": "an error was encountered while running the model"}),
        auth_error=Reply(
            404, "application/json", ['{"error": "model \\"llama3.2\\" not found, try pulling it first"}']
        ),
        auth_header=None,
    ),
    "anthropic": Provider(
        make=lambda url: AnthropicGenerator("sk-ant-test", "claude-test", base_url=url, timeout=5),
        path="/v1/messages",
        content_type="text/event-stream",
        first=sse(
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "role": "assistant",
                    "usage": {"input_tokens": 120, "output_tokens": 1},
                },
            },
            "message_start",
        )
        + sse(
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            "content_block_start",
        )
        + sse({"type": "ping"}, "ping")
        + sse(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": PIECES[0]}},
            "content_block_delta",
        ),
        rest=[
            *(
                sse(
                    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}},
                    "content_block_delta",
                )
                for p in PIECES[1:]
            ),
            sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
            sse(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn"},
                    "usage": {"output_tokens": 9},
                },
                "message_delta",
            ),
            sse({"type": "message_stop"}, "message_stop"),
        ],
        mid_stream_error=sse(
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, "error"
        ),
        auth_error=Reply(
            401,
            "application/json",
            ['{"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}'],
        ),
        auth_header=("x-api-key", "sk-ant-test"),
    ),
    "gemini": Provider(
        make=lambda url: GeminiGenerator("g-test-key", "gemini-test", base_url=url, timeout=5),
        path="/v1beta/models/gemini-test:streamGenerateContent?alt=sse",
        content_type="text/event-stream",
        first=_gemini_chunk(PIECES[0]),
        rest=[_gemini_chunk(PIECES[1]), _gemini_chunk(PIECES[2], finish="STOP")],
        mid_stream_error=sse({"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}}),
        auth_error=Reply(
            400,
            "application/json",
            [
                '{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT"}}'
            ],
        ),
        auth_header=("x-goog-api-key", "g-test-key"),
    ),
}
# Hugging Face's router speaks OpenAI's chat completions; only the address, token and name differ.
PROVIDERS["huggingface"] = replace(
    PROVIDERS["openai"],
    make=lambda url: HuggingFaceGenerator("hf_test", "test-org/test-model", timeout=5, base_url=url + "/v1"),
    auth_error=Reply(401, "application/json", ['{"error": "Invalid credentials in Authorization header"}']),
    auth_header=("authorization", "Bearer hf_test"),
)


@pytest.fixture(params=sorted(PROVIDERS))
def provider(request: pytest.FixtureRequest) -> tuple[str, Provider]:
    return request.param, PROVIDERS[request.param]


def _request(contexts: list[Citation]) -> GenerationRequest:
    return GenerationRequest(
        question="When does the library close on Fridays?",
        contexts=contexts,
        history=[("Where is the library?", "On Elm Street [1].")],
        max_tokens=64,
        temperature=0.0,
    )


def test_streams_pieces_as_they_arrive(
    provider: tuple[str, Provider], fake_provider: FakeProvider, contexts: list[Citation]
) -> None:
    name, spec = provider
    released = threading.Event()
    waited: list[bool] = []
    fake_provider.reply = Reply(
        200, spec.content_type, [spec.first, lambda: waited.append(released.wait(5)), *spec.rest]
    )
    generator = spec.make(fake_provider.base_url)
    stats = GenerationStats()

    pieces = []
    for piece in generator.stream(_request(contexts), stats):
        pieces.append(piece)
        released.set()  # the server holds the rest of the answer until the first piece got here

    assert waited == [True], "the first piece only arrived after the whole response"
    assert pieces == PIECES
    assert "".join(pieces) == "The library closes at 6 pm on Fridays [1]."
    assert (stats.provider, stats.prompt_tokens, stats.completion_tokens) == (name, 120, 9)
    assert generator.name == name


def test_sends_the_numbered_contexts_history_and_credentials(
    provider: tuple[str, Provider], fake_provider: FakeProvider, contexts: list[Citation]
) -> None:
    name, spec = provider
    fake_provider.reply = Reply(200, spec.content_type, [spec.first, *spec.rest])
    list(spec.make(fake_provider.base_url).stream(_request(contexts)))

    (sent,) = fake_provider.requests
    assert sent.path == spec.path
    if spec.auth_header:
        key, value = spec.auth_header
        assert sent.headers[key] == value
    body = sent.body
    if name == "gemini":
        system = body["systemInstruction"]["parts"][0]["text"]
        turns = [(c["role"], c["parts"][0]["text"]) for c in body["contents"]]
        assert body["generationConfig"]["maxOutputTokens"] == 64
        assert [r for r, _ in turns] == ["user", "model", "user"]
    else:
        messages = body["messages"]
        if name == "anthropic":
            system = body["system"]
            assert body["stream"] is True and body["max_tokens"] == 64
        else:
            system = messages.pop(0)["content"]
        turns = [(m["role"], m["content"]) for m in messages]
        assert [r for r, _ in turns] == ["user", "assistant", "user"]
        assert body["model"]
    assert "[1]" in system and "know" in system
    assert turns[0][1] == "Where is the library?"
    last = turns[-1][1]
    assert "[1] Library: The central library is on Elm Street." in last
    assert "[2] Parking: Visitors park in lot B." in last
    assert last.rstrip().endswith("Question: When does the library close on Fridays?")


def test_auth_or_model_error_status_is_backend_unavailable_before_any_piece(
    provider: tuple[str, Provider], fake_provider: FakeProvider, contexts: list[Citation]
) -> None:
    name, spec = provider
    fake_provider.reply = spec.auth_error
    stream = spec.make(fake_provider.base_url).stream(_request(contexts))

    with pytest.raises(BackendUnavailable) as info:
        next(stream)
    message = info.value.message
    assert name in message and f"HTTP {spec.auth_error.status}" in message
    expected = (
        "not know this model"
        if spec.auth_error.status == 404
        else "API key"
        if spec.auth_error.status == 401
        else "refused"
    )
    assert expected in message
    assert ("key" in message.lower()) or ("not found" in message)  # the provider's own explanation is kept


def test_server_error_status_is_backend_unavailable(
    provider: tuple[str, Provider], fake_provider: FakeProvider, contexts: list[Citation]
) -> None:
    _, spec = provider
    fake_provider.reply = Reply(503, "text/plain", ["upstream overloaded"])
    with pytest.raises(BackendUnavailable, match=r"failed \(HTTP 503\): upstream overloaded"):
        next(spec.make(fake_provider.base_url).stream(_request(contexts)))


def test_nothing_listening_is_backend_unavailable(
    provider: tuple[str, Provider], closed_port_url: str, contexts: list[Citation]
) -> None:
    _, spec = provider
    with pytest.raises(BackendUnavailable, match="cannot be reached"):
        next(spec.make(closed_port_url).stream(_request(contexts)))


def test_error_event_mid_stream_raises_after_the_first_piece(
    provider: tuple[str, Provider], fake_provider: FakeProvider, contexts: list[Citation]
) -> None:
    _, spec = provider
    fake_provider.reply = Reply(200, spec.content_type, [spec.first, spec.mid_stream_error])
    stream = spec.make(fake_provider.base_url).stream(_request(contexts))

    assert next(stream) == PIECES[0]
    with pytest.raises(BackendUnavailable, match="mid-stream"):
        next(stream)


def test_connection_cut_mid_stream_raises(
    provider: tuple[str, Provider], fake_provider: FakeProvider, contexts: list[Citation]
) -> None:
    _, spec = provider
    fake_provider.reply = Reply(200, spec.content_type, [spec.first], complete=False)
    stream = spec.make(fake_provider.base_url).stream(_request(contexts))

    assert next(stream) == PIECES[0]
    with pytest.raises(BackendUnavailable):
        next(stream)


def test_stream_without_end_marker_is_incomplete(
    provider: tuple[str, Provider], fake_provider: FakeProvider, contexts: list[Citation]
) -> None:
    _, spec = provider
    fake_provider.reply = Reply(200, spec.content_type, [spec.first])  # a clean close, but no end marker
    stream = spec.make(fake_provider.base_url).stream(_request(contexts))

    assert next(stream) == PIECES[0]
    with pytest.raises(BackendUnavailable, match="incomplete"):
        next(stream)


@pytest.mark.parametrize("make", [AnthropicGenerator, GeminiGenerator])
def test_missing_api_key_is_backend_unavailable(
    make: Callable[..., Generator], fake_provider: FakeProvider, contexts: list[Citation]
) -> None:
    generator = make("", "some-model", base_url=fake_provider.base_url)
    with pytest.raises(BackendUnavailable, match="no API key"):
        next(generator.stream(_request(contexts)))
    assert fake_provider.requests == []


def test_openai_compat_without_key_sends_no_authorization(
    fake_provider: FakeProvider, contexts: list[Citation]
) -> None:
    spec = PROVIDERS["openai"]
    fake_provider.reply = Reply(200, spec.content_type, [spec.first, *spec.rest])
    generator = OpenAICompatGenerator(fake_provider.base_url + "/v1/", None, "local-model")
    assert "".join(generator.stream(_request(contexts))) == "".join(PIECES)
    (sent,) = fake_provider.requests
    assert sent.path == "/v1/chat/completions"
    assert "authorization" not in sent.headers
    assert sent.body["stream_options"] == {"include_usage": True}


def test_gemini_blocked_prompt_is_backend_unavailable(
    fake_provider: FakeProvider, contexts: list[Citation]
) -> None:
    fake_provider.reply = Reply(
        200, "text/event-stream", [sse({"promptFeedback": {"blockReason": "SAFETY"}})]
    )
    generator = GeminiGenerator("key", "gemini-test", base_url=fake_provider.base_url)
    with pytest.raises(BackendUnavailable, match="blocked the prompt \\(SAFETY\\)"):
        next(generator.stream(_request(contexts)))


@pytest.mark.parametrize(
    "make",
    [
        lambda: OpenAICompatGenerator("localhost:8000/v1", None, "m"),
        lambda: OllamaGenerator("ftp://x", "m"),
        lambda: OllamaGenerator("http://x", "m", temperature=2.5),
        lambda: HuggingFaceGenerator("", "m"),
        lambda: OpenAICompatGenerator("http://x/v1", None, "m", timeout=0),
    ],
)
def test_bad_configuration_is_refused_at_construction(make: Callable[[], Generator]) -> None:
    with pytest.raises(ValueError, match="must be"):
        make()


def test_open_stream_translates_httpx_errors_only(fake_provider: FakeProvider, closed_port_url: str) -> None:
    """httpx's ConnectError → BackendUnavailable (its text goes to the log, not the message); an
    error of the caller's own code inside the ``with`` block passes through unchanged."""
    client = make_client(5.0)
    with (
        pytest.raises(BackendUnavailable) as unreachable,
        open_stream(client, "test", f"{closed_port_url}/v1/chat/completions", json_body={}),
    ):
        pass
    assert isinstance(unreachable.value.__cause__, httpx.ConnectError)
    assert "Errno" not in unreachable.value.message and "ConnectError" not in unreachable.value.message

    fake_provider.reply = Reply(200, "text/event-stream", [sse({"ok": True})])
    url = f"{fake_provider.base_url}/v1/chat/completions"
    with pytest.raises(TypeError, match="a bug"), open_stream(client, "test", url, json_body={}):
        raise TypeError("a bug in the caller's loop")
    client.close()
