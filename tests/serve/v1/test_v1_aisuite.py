"""POST /api/v1/aisuite/chat (API 05's AI Suite): every provider prefix against stand-in servers at the
network boundary, ``local:`` offline, streaming, and the 400/401/503 answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from provider_standins import PROVIDERS, USAGE, StandIns, close_copy, configured_copy, standin_app
from serve_support import LiveServer

if TYPE_CHECKING:
    from conftest import SignedIn
    from ragplatform.factory import Platform

URL = "/api/v1/aisuite/chat"
HELLO = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello!"}]
AUTH_HEADERS = {
    "openai": ("authorization", "Bearer sk-openai"),
    "groq": ("authorization", "Bearer gsk-groq"),
    "aws": ("authorization", "Bearer bedrock-key"),
    "huggingface": ("authorization", "Bearer hf_token"),
    "anthropic": ("x-api-key", "sk-ant"),
    "gemini": ("x-goog-api-key", "g-key"),
}


@pytest.fixture(scope="module")
def standins() -> Iterator[StandIns]:
    state = StandIns()
    server = LiveServer(standin_app(state))
    state.url = server.url
    with server:
        yield state


@pytest.fixture(scope="module")
def configured(platform: Platform, standins: StandIns) -> Iterator[LiveServer]:
    """The API with every provider configured at the stand-ins."""
    from ragserve.main import create_app

    copy = configured_copy(platform, standins.url)
    with LiveServer(create_app(platform=copy)) as server:
        yield server
    close_copy(copy, platform)


@pytest.fixture
def api(configured: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=configured.url, timeout=60) as c:
        yield c


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_provider_prefix_answers_in_openais_shape(
    provider: str, api: httpx.Client, alice: SignedIn, standins: StandIns
) -> None:
    body = {"messages": HELLO, "model": f"{provider}:test-model", "temperature": 0.7}
    r = api.post(URL, json=body, headers=alice.headers)
    assert r.status_code == 200, r.text
    completion = r.json()
    assert completion["object"] == "chat.completion" and completion["id"].startswith("chatcmpl-")
    assert isinstance(completion["created"], int) and completion["model"] == f"{provider}:test-model"
    assert completion["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": f"{provider} says: Hello!"},
            "finish_reason": "stop",
        }
    ]
    assert completion["usage"] == {
        "prompt_tokens": USAGE[0],
        "completion_tokens": USAGE[1],
        "total_tokens": sum(USAGE),
    }
    sent = standins.last(provider)
    if provider in AUTH_HEADERS:
        name, value = AUTH_HEADERS[provider]
        assert sent.headers[name] == value
    if provider in ("openai", "groq", "aws", "huggingface", "ollama"):
        assert sent.body["messages"] == HELLO  # the conversation as it was sent, no passages prompt
        assert sent.body["model"] == "test-model"
    if provider == "anthropic":
        assert (sent.body["system"], sent.body["messages"]) == ("Be brief.", HELLO[1:])
        assert sent.body["temperature"] == 0.7


def test_stream_sends_completion_chunks_then_done(api: httpx.Client, alice: SignedIn) -> None:
    body = {"messages": HELLO, "model": "anthropic:claude-test", "stream": True}
    with api.stream("POST", URL, json=body, headers=alice.headers) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [line.removeprefix("data: ") for line in r.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    chunks = [json.loads(line) for line in lines[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1 and chunks[0]["model"] == "anthropic:claude-test"
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant"}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == "anthropic says: Hello!"
    assert len([c for c in chunks if c["choices"][0]["delta"].get("content")]) == 2  # as it arrived
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_a_provider_that_fails_is_503(api: httpx.Client, alice: SignedIn) -> None:
    for provider in ("openai", "ollama"):
        r = api.post(URL, json={"messages": HELLO, "model": f"{provider}:down"}, headers=alice.headers)
        assert r.status_code == 503, r.text
        assert provider in r.json()["detail"]


def test_local_extractive_answers_offline(client: httpx.Client, alice: SignedIn) -> None:
    messages = [
        {"role": "system", "content": "The museum opens at 10 am. Tickets cost 12 euros for adults."},
        {"role": "user", "content": "How much do tickets cost?"},
    ]
    r = client.post(URL, json={"messages": messages, "model": "local:extractive"}, headers=alice.headers)
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"] == "Tickets cost 12 euros for adults [1]."


@pytest.mark.parametrize(
    ("provider", "setting"),
    [
        ("openai", "OPENAI_API_KEY"),
        ("anthropic", "ANTHROPIC_API_KEY"),
        ("groq", "GROQ_API_KEY"),
        ("aws", "AWS_BEARER_TOKEN_BEDROCK"),
        ("ollama", "OLLAMA_HOST"),
        ("huggingface", "HUGGINGFACE_API_KEY"),
    ],
)
def test_an_unconfigured_provider_is_400_naming_the_setting(
    provider: str, setting: str, client: httpx.Client, alice: SignedIn
) -> None:
    r = client.post(URL, json={"messages": HELLO, "model": f"{provider}:some-model"}, headers=alice.headers)
    assert r.status_code == 400
    assert setting in r.json()["detail"] and r.json()["field"] == "model"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"messages": [], "model": "local:extractive"}, "body.messages"),
        ({"messages": HELLO}, "body.model"),
        ({"messages": HELLO, "model": "local:extractive", "temperature": 2.5}, "body.temperature"),
        (
            {"messages": [{"role": "tool", "content": "x"}], "model": "local:extractive"},
            "body.messages.0.role",
        ),
        ({"messages": HELLO, "model": "no-provider"}, "body.model"),
        ({"messages": HELLO, "model": "mistral:large"}, "model"),
        ({"messages": HELLO[:1], "model": "local:extractive"}, "messages.0"),
    ],
)
def test_invalid_bodies_are_400_with_the_field(
    body: dict[str, Any], field: str, client: httpx.Client, alice: SignedIn
) -> None:
    r = client.post(URL, json=body, headers=alice.headers)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field and r.json()["detail"]


def test_a_token_is_needed(client: httpx.Client) -> None:
    assert client.post(URL, json={"messages": HELLO, "model": "local:extractive"}).status_code == 401
