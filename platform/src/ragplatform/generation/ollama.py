"""Generator for Ollama's native ``/api/chat`` (newline-delimited JSON stream).

Each line is ``{"message": {"content": ...}, "done": false}``; the last has
``done: true`` with ``prompt_eval_count`` / ``eval_count``. An ``{"error": ...}``
line or a stream without the ``done`` line raises ``BackendUnavailable``.
The request carries ``options.temperature`` (the generator's ``temperature``
when set, else the request's) and, when set, ``keep_alive``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from ragplatform.generation.base import GenerationRequest, GenerationStats
from ragplatform.generation.httpstream import iter_ndjson, make_client, open_stream, stream_error, truncated
from ragplatform.generation.prompt import DEFAULT_CONTEXT_CHARS, build_messages, estimate_tokens


class OllamaGenerator:
    """Streams answers from an Ollama server (``base_url`` like ``http://localhost:11434``)."""

    name = "ollama"

    def __init__(
        self,
        base_url: str = "http://localhost:11434",
        model: str = "llama3.2",
        timeout: float = 120.0,
        *,
        context_chars: int = DEFAULT_CONTEXT_CHARS,
        keep_alive: str | None = None,
        temperature: float | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if not model:
            raise ValueError("model must not be empty")
        if temperature is not None and not 0.0 <= temperature <= 2.0:
            raise ValueError(f"temperature must be between 0 and 2, got {temperature}")
        self.url = base_url.rstrip("/") + "/api/chat"
        self.model = model
        self.context_chars = context_chars
        self.keep_alive = keep_alive
        self.temperature = temperature
        self._client = client or make_client(timeout)

    def close(self) -> None:
        self._client.close()

    def _body(self, request: GenerationRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": build_messages(request, context_chars=self.context_chars),
            "stream": True,
            "options": {
                "temperature": request.temperature if self.temperature is None else self.temperature,
                "num_predict": request.max_tokens,
            },
        }
        if self.keep_alive is not None:
            body["keep_alive"] = self.keep_alive
        return body

    def stream(self, request: GenerationRequest, stats: GenerationStats | None = None) -> Iterator[str]:
        """Yield answer pieces as Ollama produces them.

        Raises ``BackendUnavailable`` when Ollama cannot be reached, answers
        non-2xx (e.g. 404 for a model that is not pulled), reports an error
        line, or ends the stream early.
        """
        stats = stats if stats is not None else GenerationStats()
        stats.provider, stats.model = self.name, self.model
        body = self._body(request)
        answer: list[str] = []
        final: dict[str, Any] | None = None
        with open_stream(self._client, self.name, self.url, json_body=body) as resp:
            for line in iter_ndjson(resp, self.name):
                if "error" in line:
                    raise stream_error(self.name, line["error"])
                piece = (line.get("message") or {}).get("content")
                if piece:
                    answer.append(piece)
                    yield piece
                if line.get("done"):
                    final = line
                    break
        if final is None:
            raise truncated(self.name)
        prompt_text = "".join(m["content"] for m in body["messages"])
        stats.prompt_tokens = int(final.get("prompt_eval_count") or estimate_tokens(prompt_text))
        stats.completion_tokens = int(final.get("eval_count") or estimate_tokens("".join(answer)))
