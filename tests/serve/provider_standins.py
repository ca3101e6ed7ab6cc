"""LLM providers stood in for at the network boundary, for API 05's AI Suite and chats: one real
HTTP server on 127.0.0.1 that speaks OpenAI's chat completions (under ``/openai``, ``/groq``,
``/aws`` and ``/huggingface``), Anthropic's Messages API (``/anthropic``), Ollama's ``/api/chat``
(``/ollama``) and Gemini's ``streamGenerateContent`` (``/gemini``), each streaming
``"<provider> says: <the last user text>"``; a model named ``down`` is answered 500. And a copy of
the session's platform whose settings point every provider at it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import SecretStr

if TYPE_CHECKING:
    from ragplatform.factory import Platform

PROVIDERS = ("openai", "groq", "aws", "huggingface", "anthropic", "ollama", "gemini")
USAGE = (21, 3)  # prompt and completion tokens each stand-in reports


@dataclass
class Recorded:
    provider: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class StandIns:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)

    def last(self, provider: str) -> Recorded:
        return [r for r in self.requests if r.provider == provider][-1]


def _last_user_text(provider: str, body: dict[str, Any]) -> str:
    if provider == "gemini":
        return str(body["contents"][-1]["parts"][0]["text"])
    return str(body["messages"][-1]["content"])


def _sse(data: Any) -> str:
    return f"data: {json.dumps(data)}\n\n"


def _openai(pieces: list[str]) -> Iterator[str]:
    for piece in pieces:
        yield _sse({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
    yield _sse({"choices": [], "usage": {"prompt_tokens": USAGE[0], "completion_tokens": USAGE[1]}})
    yield "data: [DONE]\n\n"


def _anthropic(pieces: list[str]) -> Iterator[str]:
    yield _sse(
        {"type": "message_start", "message": {"usage": {"input_tokens": USAGE[0], "output_tokens": 1}}}
    )
    for piece in pieces:
        yield _sse({"type": "content_block_delta", "delta": {"type": "text_delta", "text": piece}})
    yield _sse({"type": "message_delta", "usage": {"output_tokens": USAGE[1]}})
    yield _sse({"type": "message_stop"})


def _ollama(pieces: list[str]) -> Iterator[str]:
    for piece in pieces:
        yield json.dumps({"message": {"role": "assistant", "content": piece}, "done": False}) + "\n"
    done = {"message": {"content": ""}, "done": True, "prompt_eval_count": USAGE[0], "eval_count": USAGE[1]}
    yield json.dumps(done) + "\n"


def _gemini(pieces: list[str]) -> Iterator[str]:
    for piece in pieces:
        yield _sse({"candidates": [{"content": {"role": "model", "parts": [{"text": piece}]}}]})
    usage = {"promptTokenCount": USAGE[0], "candidatesTokenCount": USAGE[1]}
    yield _sse(
        {
            "candidates": [{"content": {"parts": [{"text": ""}]}, "finishReason": "STOP"}],
            "usageMetadata": usage,
        }
    )


def standin_app(state: StandIns) -> FastAPI:
    app = FastAPI()

    async def answer(provider: str, request: Request, model: str | None = None) -> Response:
        body = await request.json()
        state.requests.append(
            Recorded(provider, request.url.path, {k.lower(): v for k, v in request.headers.items()}, body)
        )
        if (model or body.get("model")) == "down":
            return JSONResponse({"error": {"message": "the model is down"}}, status_code=500)
        text = f"{provider} says: {_last_user_text(provider, body)}"
        pieces = [text[: len(text) // 2], text[len(text) // 2 :]]
        if provider == "anthropic":
            return StreamingResponse(_anthropic(pieces), media_type="text/event-stream")
        if provider == "ollama":
            return StreamingResponse(_ollama(pieces), media_type="application/x-ndjson")
        if provider == "gemini":
            return StreamingResponse(_gemini(pieces), media_type="text/event-stream")
        return StreamingResponse(_openai(pieces), media_type="text/event-stream")

    @app.post("/{provider}/v1/chat/completions")
    async def openai_compatible(provider: str, request: Request) -> Response:
        return await answer(provider, request)

    @app.post("/anthropic/v1/messages")
    async def anthropic(request: Request) -> Response:
        return await answer("anthropic", request)

    @app.post("/ollama/api/chat")
    async def ollama(request: Request) -> Response:
        return await answer("ollama", request)

    @app.post("/gemini/v1beta/models/{model}")
    async def gemini(model: str, request: Request) -> Response:
        return await answer("gemini", request, model.split(":")[0])

    return app


def configured_copy(platform: Platform, url: str) -> Platform:
    """A copy of ``platform`` whose settings configure every provider at the stand-ins (its own
    answer service and model generators; engines, stores and index shared)."""
    llm = platform.settings.llm.model_copy(
        update={
            "openai_base_url": f"{url}/openai/v1",
            "openai_api_key": SecretStr("sk-openai"),
            "groq_base_url": f"{url}/groq/v1",
            "groq_api_key": SecretStr("gsk-groq"),
            "aws_base_url": f"{url}/aws/v1",
            "aws_api_key": SecretStr("bedrock-key"),
            "huggingface_base_url": f"{url}/huggingface/v1",
            "huggingface_api_key": SecretStr("hf_token"),
            "anthropic_base_url": f"{url}/anthropic",
            "anthropic_api_key": SecretStr("sk-ant"),
            "ollama_base_url": f"{url}/ollama",
            "gemini_base_url": f"{url}/gemini",
            "gemini_api_key": SecretStr("g-key"),
        }
    )
    settings = platform.settings.model_copy(update={"llm": llm})
    return dataclasses.replace(platform, settings=settings, _answers=None, _models=None, _closers=[])


def close_copy(copy: Platform, original: Platform) -> None:
    """Closes what the copy opened itself, and restarts the original's index watcher, which the
    copy's server stopped on shutdown."""
    if copy._models is not None:
        copy._models.close()
    original.serving.watch(original.settings.serve.watch_interval_s)
