"""Generator for the Gemini API (``models/{model}:streamGenerateContent?alt=sse``).

Each server-sent event is a whole ``GenerateContentResponse``: text in
``candidates[0].content.parts[].text``, token counts in ``usageMetadata``.
There is no end sentinel; a stream is complete once a candidate carries a
``finishReason``. A prompt blocked by safety filters (``promptFeedback.blockReason``)
raises ``BackendUnavailable`` so the chain can answer another way.
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


class GeminiGenerator:
    """Streams answers from Gemini models over plain HTTP (no SDK); the key goes in ``x-goog-api-key``.

    An empty ``api_key`` is accepted so that a chain configured without one still
    starts; each request then raises ``BackendUnavailable`` and the chain moves on.
    """

    name = "gemini"

    def __init__(
        self,
        api_key: str,
        model: str = "gemini-2.0-flash",
        base_url: str = "https://generativelanguage.googleapis.com",
        timeout: float = 60.0,
        *,
        api_version: str = "v1beta",
        context_chars: int = DEFAULT_CONTEXT_CHARS,
        client: httpx.Client | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        model_path = model if model.startswith("models/") else f"models/{model}"
        self.url = f"{base_url.rstrip('/')}/{api_version}/{model_path}:streamGenerateContent?alt=sse"
        self.model = model
        self.context_chars = context_chars
        self._headers = {"x-goog-api-key": api_key}
        self._api_key = api_key
        self._client = client or make_client(timeout)

    def close(self) -> None:
        self._client.close()

    def _body(self, request: GenerationRequest) -> dict[str, Any]:
        system, turns = split_system(build_messages(request, context_chars=self.context_chars))
        return {
            "systemInstruction": {"parts": [{"text": system}]},
            "contents": [
                {"role": "model" if m["role"] == "assistant" else "user", "parts": [{"text": m["content"]}]}
                for m in turns
            ],
            "generationConfig": {"maxOutputTokens": request.max_tokens, "temperature": request.temperature},
        }

    def stream(self, request: GenerationRequest, stats: GenerationStats | None = None) -> Iterator[str]:
        """Yield text parts as Gemini produces them.

        Raises ``BackendUnavailable`` when the API cannot be reached, answers
        non-2xx (400/403 for a bad key, 429 quota, ...), blocks the prompt,
        reports an error, or ends without a ``finishReason``.
        """
        stats = stats if stats is not None else GenerationStats()
        stats.provider, stats.model = self.name, self.model
        if not self._api_key:
            raise BackendUnavailable(f"{self.name} has no API key configured")
        finished = False
        body = self._body(request)
        with open_stream(self._client, self.name, self.url, json_body=body, headers=self._headers) as resp:
            for event in iter_sse(resp):
                data = parse_json(event.data, self.name)
                if "error" in data:
                    raise stream_error(self.name, data["error"])
                block = (data.get("promptFeedback") or {}).get("blockReason")
                if block:
                    raise BackendUnavailable(f"{self.name} blocked the prompt ({block})")
                usage = data.get("usageMetadata") or {}
                stats.prompt_tokens = int(usage.get("promptTokenCount") or stats.prompt_tokens)
                stats.completion_tokens = int(usage.get("candidatesTokenCount") or stats.completion_tokens)
                for candidate in (data.get("candidates") or [])[:1]:
                    for part in (candidate.get("content") or {}).get("parts") or []:
                        if part.get("text") and not part.get("thought"):
                            yield part["text"]
                    finished = finished or bool(candidate.get("finishReason"))
        if not finished:
            raise truncated(self.name)
