"""Generator for Anthropic's Messages API (``POST /v1/messages`` with ``stream: true``).

The stream is server-sent events: ``message_start`` (input token usage),
``content_block_delta`` with ``text_delta`` pieces, ``message_delta`` (output
token usage), ``message_stop``; ``ping`` is ignored and an ``error`` event
raises ``BackendUnavailable`` (e.g. ``overloaded_error``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from ragplatform.errors import BackendUnavailable
from ragplatform.generation.base import GenerationRequest, GenerationStats
from ragplatform.generation.httpstream import (
    iter_sse,
    make_client,
    open_stream,
    parse_json,
    stream_error,
    truncated,
)
from ragplatform.generation.prompt import DEFAULT_CONTEXT_CHARS, build_messages, split_system

ANTHROPIC_VERSION = "2023-06-01"


class AnthropicGenerator:
    """Streams answers from Claude models over plain HTTP (no SDK).

    An empty ``api_key`` is accepted so that a chain configured without one still
    starts; each request then raises ``BackendUnavailable`` and the chain moves on.
    """

    name = "anthropic"

    def __init__(
        self,
        api_key: str,
        model: str = "claude-3-5-haiku-latest",
        base_url: str = "https://api.anthropic.com",
        timeout: float = 60.0,
        *,
        context_chars: int = DEFAULT_CONTEXT_CHARS,
        client: httpx.Client | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        self.url = base_url.rstrip("/") + "/v1/messages"
        self.model = model
        self.context_chars = context_chars
        self._headers = {"x-api-key": api_key, "anthropic-version": ANTHROPIC_VERSION}
        self._api_key = api_key
        self._client = client or make_client(timeout)

    def close(self) -> None:
        self._client.close()

    def _body(self, request: GenerationRequest) -> dict[str, Any]:
        system, turns = split_system(build_messages(request, context_chars=self.context_chars))
        return {
            "model": self.model,
            "system": system,
            "messages": turns,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stream": True,
        }

    def stream(self, request: GenerationRequest, stats: GenerationStats | None = None) -> Iterator[str]:
        """Yield text deltas as Claude produces them.

        Raises ``BackendUnavailable`` when the API cannot be reached, answers
        non-2xx (401 for a bad key, 529 overloaded, ...), sends an ``error``
        event, or ends before ``message_stop``.
        """
        stats = stats if stats is not None else GenerationStats()
        stats.provider, stats.model = self.name, self.model
        if not self._api_key:
            raise BackendUnavailable(f"{self.name} has no API key configured")
        stopped = False
        body = self._body(request)
        with open_stream(self._client, self.name, self.url, json_body=body, headers=self._headers) as resp:
            for event in iter_sse(resp):
                data = parse_json(event.data, self.name)
                kind = data.get("type", event.event)
                if kind == "content_block_delta":
                    delta = data.get("delta") or {}
                    if delta.get("type") == "text_delta" and delta.get("text"):
                        yield delta["text"]
                elif kind == "message_start":
                    usage = (data.get("message") or {}).get("usage") or {}
                    stats.prompt_tokens = int(usage.get("input_tokens") or 0)
                    stats.completion_tokens = int(usage.get("output_tokens") or 0)
                elif kind == "message_delta":
                    usage = data.get("usage") or {}
                    stats.completion_tokens = int(usage.get("output_tokens") or stats.completion_tokens)
                elif kind == "error":
                    raise stream_error(self.name, data.get("error"))
                elif kind == "message_stop":
                    stopped = True
                    break
        if not stopped:
            raise truncated(self.name)
