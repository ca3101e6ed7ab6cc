"""Streaming HTTP plumbing shared by the remote generators (OpenAI-compatible, Ollama, Anthropic, Gemini).

Error policy, the same for every provider: anything that stops a provider from
answering is ``BackendUnavailable``, so a ``FallbackGenerator`` moves on to the
next one.

- connection refused, DNS failure, connect/read timeouts, a connection dropped
  mid-body: ``BackendUnavailable``;
- any non-2xx status, 4xx included. 401/403 say the API key was rejected, 404
  that the model or URL is wrong, 429 that the provider is rate limiting. These
  are configuration or capacity problems of the deployment, not mistakes of
  the person asking, so the chain should fall back rather than fail the
  question; the message carries the status and the provider's own error text;
- an error event inside the stream, or a stream that ends before the
  provider's end marker.

Status and connect errors surface before the first piece, which is what lets
the fallback chain switch providers without the user seeing a broken answer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from ragplatform.errors import BackendUnavailable

log = logging.getLogger(__name__)

ERROR_BODY_CHARS = 300


def make_client(timeout: float) -> httpx.Client:
    """A client whose connect timeout is short (a dead host fails fast) and whose read timeout is ``timeout``."""
    if timeout <= 0:
        raise ValueError(f"timeout must be positive seconds, got {timeout}")
    return httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)))


def _error_text(body: bytes) -> str:
    """The provider's error message from a JSON error body, else the start of the body."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:ERROR_BODY_CHARS]
    err = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(err, dict):
        err = err.get("message", err)
    return str(err)[:ERROR_BODY_CHARS]


def status_error(provider: str, url: str, status: int, body: bytes) -> BackendUnavailable:
    """Translate a non-2xx answer into ``BackendUnavailable`` with a message an operator can act on."""
    detail = _error_text(body)
    if status in (401, 403):
        why = "rejected the credentials; check the API key"
    elif status == 404:
        why = "does not know this model or URL"
    elif status == 429:
        why = "is rate limiting"
    elif status >= 500:
        why = "failed"
    else:
        why = "refused the request"
    return BackendUnavailable(f"{provider} at {url} {why} (HTTP {status}): {detail}")


@contextmanager
def open_stream(
    client: httpx.Client,
    provider: str,
    url: str,
    *,
    json_body: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
) -> Iterator[httpx.Response]:
    """POST ``json_body`` and yield the streaming response once its status is 2xx.

    Raises ``BackendUnavailable`` for httpx's errors (at connect time or while the body is read
    inside the ``with`` block: a timeout, a refused or dropped connection, a body that cannot be
    decoded, a redirect loop) and for non-2xx statuses. Nothing else is translated: an error of
    the caller's own code inside the block passes through unchanged.
    """
    try:
        with client.stream("POST", url, json=dict(json_body), headers=dict(headers or {})) as response:
            if response.status_code >= 300:
                raise status_error(provider, url, response.status_code, response.read())
            yield response
    except httpx.TimeoutException as exc:
        log.warning("%s at %s: %r", provider, url, exc)
        raise BackendUnavailable(f"{provider} at {url} timed out") from exc
    except httpx.TransportError as exc:
        log.warning("%s at %s: %r", provider, url, exc)
        raise BackendUnavailable(f"{provider} at {url} cannot be reached") from exc
    except httpx.HTTPError as exc:  # a body that cannot be decoded, a redirect loop
        log.warning("%s at %s: %r", provider, url, exc)
        raise BackendUnavailable(f"{provider} at {url} sent an answer that cannot be read") from exc


@dataclass(frozen=True)
class SseEvent:
    """One server-sent event: its ``event`` name (``message`` when none) and its joined ``data`` lines."""

    event: str
    data: str


def iter_sse(response: httpx.Response) -> Iterator[SseEvent]:
    """Parse ``text/event-stream`` framing: fields per line, events end at a blank line, ``:`` lines are comments."""
    event = ""
    data: list[str] = []
    for line in response.iter_lines():
        if not line:
            if data:
                yield SseEvent(event or "message", "\n".join(data))
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            data.append(value)
        elif field == "event":
            event = value
    if data:
        yield SseEvent(event or "message", "\n".join(data))


def iter_ndjson(response: httpx.Response, provider: str) -> Iterator[dict[str, Any]]:
    """One JSON object per non-empty line (Ollama's native streaming format)."""
    for line in response.iter_lines():
        if line.strip():
            yield parse_json(line, provider)


def parse_json(text: str, provider: str) -> dict[str, Any]:
    """Decode one streamed JSON object; garbage from the provider is ``BackendUnavailable``."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise BackendUnavailable(f"{provider} sent invalid JSON in its stream: {text[:100]!r}") from exc
    if not isinstance(value, dict):
        raise BackendUnavailable(f"{provider} sent a non-object in its stream: {text[:100]!r}")
    return value


def stream_error(provider: str, error: Any) -> BackendUnavailable:
    """An error reported inside an otherwise healthy stream."""
    if isinstance(error, dict):
        error = error.get("message", error)
    return BackendUnavailable(f"{provider} reported an error mid-stream: {str(error)[:ERROR_BODY_CHARS]}")


def truncated(provider: str) -> BackendUnavailable:
    return BackendUnavailable(f"{provider} closed the stream before its end marker; the answer is incomplete")
