"""Generator for any OpenAI-compatible ``/chat/completions`` endpoint: vLLM, Ollama's ``/v1``, Groq, LM Studio, OpenAI.

Streams with ``stream: true`` and reads the server-sent events
(``data: {chunk}`` ... ``data: [DONE]``); asks for a final usage chunk with
``stream_options.include_usage`` and estimates token counts when the server
sends none. Errors follow ``ragplatform.generation.httpstream``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from ragplatform.generation.base import GenerationRequest, GenerationStats
from ragplatform.generation.httpstream import (
    iter_sse,
    make_client,
    open_stream,
    parse_json,
    stream_error,
    truncated,
)
from ragplatform.generation.prompt import DEFAULT_CONTEXT_CHARS, build_messages, estimate_tokens


class OpenAICompatGenerator:
    """Streams answers from ``{base_url}/chat/completions``.

    ``base_url`` includes the API version prefix, e.g. ``http://localhost:8000/v1``
    (vLLM), ``http://localhost:11434/v1`` (Ollama), ``https://api.groq.com/openai/v1``.
    ``api_key`` may be ``None`` for servers that need none; ``provider`` names it in logs and
    stats (``groq``, ``aws``) when it is not ``openai``. Set ``include_usage=False``
    for an old server that rejects ``stream_options`` (token counts are then estimated).
    """

    name = "openai"

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        model: str = "gpt-4o-mini",
        timeout: float = 60.0,
        *,
        context_chars: int = DEFAULT_CONTEXT_CHARS,
        include_usage: bool = True,
        client: httpx.Client | None = None,
        provider: str | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if not model:
            raise ValueError("model must not be empty")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.name = provider or self.name  # Groq and Bedrock speak this API under their own names
        self.model = model
        self.context_chars = context_chars
        self.include_usage = include_usage
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or make_client(timeout)

    def close(self) -> None:
        self._client.close()

    def _body(self, request: GenerationRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": build_messages(request, context_chars=self.context_chars),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stream": True,
        }
        if self.include_usage:
            body["stream_options"] = {"include_usage": True}
        return body

    def stream(self, request: GenerationRequest, stats: GenerationStats | None = None) -> Iterator[str]:
        """Yield answer pieces as the server sends them.

        Raises ``BackendUnavailable`` when the server cannot be reached or answers
        non-2xx (before the first piece), or when the stream breaks or reports an
        error (after it).
        """
        stats = stats if stats is not None else GenerationStats()
        stats.provider, stats.model = self.name, self.model
        body = self._body(request)
        answer: list[str] = []
        usage: dict[str, Any] = {}
        done = False
        with open_stream(self._client, self.name, self.url, json_body=body, headers=self._headers) as resp:
            for event in iter_sse(resp):
                if event.data.strip() == "[DONE]":
                    done = True
                    break
                chunk = parse_json(event.data, self.name)
                if "error" in chunk:
                    raise stream_error(self.name, chunk["error"])
                usage = chunk.get("usage") or usage
                for choice in chunk.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        answer.append(piece)
                        yield piece
        if not done:
            raise truncated(self.name)
        prompt_text = "".join(m["content"] for m in body["messages"])
        stats.prompt_tokens = int(usage.get("prompt_tokens") or estimate_tokens(prompt_text))
        stats.completion_tokens = int(usage.get("completion_tokens") or estimate_tokens("".join(answer)))
