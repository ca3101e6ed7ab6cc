"""Embeddings from an OpenAI-compatible endpoint: OpenAI, vLLM, Ollama's ``/v1``, LM Studio, TEI.

Speaks the wire format directly over httpx (``POST {base_url}/embeddings``),
so no SDK is needed. The HTTP helpers here are shared with the Ollama embedder.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import numpy as np

from ragplatform.errors import BackendUnavailable, InvalidInput

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
CLIENT_ERROR_STATUSES = frozenset({400, 413, 422})


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as contiguous float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.ascontiguousarray(vectors / np.where(norms == 0, 1, norms), dtype=np.float32)


def batched(texts: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(texts), size):
        yield list(texts[start : start + size])


def post_json(
    client: httpx.Client, url: str, payload: dict[str, Any], what: str, max_retries: int = 2
) -> Any:
    """POST JSON and return the decoded answer, translating failures into the platform's errors.

    Timeouts, connection errors, 408/429/5xx are retried with a short backoff,
    then raise BackendUnavailable; 400/413/422 (the request itself is wrong, e.g.
    a text over the model's context) raise InvalidInput; any other error status
    (401, 404: a misconfigured provider) raises BackendUnavailable at once.
    Only httpx's errors (and a JSON decode error of the answer) are translated: anything else,
    a payload that cannot be encoded as JSON say, is a bug and passes through.
    """
    error: BackendUnavailable | None = None
    cause: httpx.HTTPError | None = None
    for attempt in range(max_retries + 1):
        if attempt:
            time.sleep(0.25 * 2 ** (attempt - 1))
        try:
            response = client.post(url, json=payload)
        except httpx.HTTPError as exc:
            log.warning("%s at %s: %r (attempt %d)", what, url, exc, attempt + 1)
            error, cause = BackendUnavailable(f"{what} at {url} cannot be reached"), exc
            continue
        if response.status_code < 400:
            try:
                return response.json()
            except ValueError as exc:
                raise BackendUnavailable(f"{what} at {url} answered with invalid JSON") from exc
        detail = _error_detail(response)
        if response.status_code in CLIENT_ERROR_STATUSES:
            raise InvalidInput(f"{what} rejected the request ({response.status_code}): {detail}")
        error, cause = BackendUnavailable(f"{what} at {url} answered {response.status_code}: {detail}"), None
        if response.status_code not in RETRY_STATUSES:
            raise error
    assert error is not None
    raise error from cause


def _error_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, dict):
        err = body.get("error", body.get("detail", body))
        if isinstance(err, dict):
            err = err.get("message", err)
        return str(err)[:300]
    return str(body)[:300]


def check_vectors(rows: Any, expected: int, dim: int | None, what: str) -> np.ndarray:
    """Validate a decoded list of vectors (count, one width, optional dim) and normalise them."""
    if not isinstance(rows, list) or len(rows) != expected:
        got = len(rows) if isinstance(rows, list) else type(rows).__name__
        raise BackendUnavailable(f"{what} returned {got} vectors for {expected} texts")
    try:
        vectors = np.asarray(rows, dtype=np.float32)
    except (TypeError, ValueError) as exc:  # the provider's rows are not lists of numbers of one length
        raise BackendUnavailable(f"{what} returned malformed vectors") from exc
    if vectors.ndim != 2 or vectors.shape[1] == 0:
        raise BackendUnavailable(f"{what} returned malformed vectors of shape {vectors.shape}")
    if dim is not None and vectors.shape[1] != dim:
        raise InvalidInput(
            f"{what} returns {vectors.shape[1]}-dimensional vectors, but dim is set to {dim}",
            field="dim",
            value=dim,
        )
    return l2_normalize(vectors)


class OpenAIEmbedder:
    """``model_id`` is ``openai/<model>``. ``dim`` is what the model returns; when left out it
    is learned from the first answer (reading ``dim`` before any call embeds one probe text)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        model: str = "text-embedding-3-small",
        dim: int | None = None,
        batch_size: int = 64,
        timeout: float = 60.0,
        max_retries: int = 2,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InvalidInput(
                f"base_url must start with http:// or https://, got {base_url!r}",
                field="base_url",
                value=base_url,
            )
        if not model:
            raise InvalidInput("model must not be empty", field="model")
        if batch_size < 1:
            raise InvalidInput(
                f"batch_size must be at least 1, got {batch_size}", field="batch_size", value=batch_size
            )
        if dim is not None and dim < 1:
            raise InvalidInput(f"dim must be at least 1, got {dim}", field="dim", value=dim)
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.batch_size = batch_size
        self.max_retries = max_retries
        self._dim = dim
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout, headers=headers)

    @property
    def model_id(self) -> str:
        return f"openai/{self.model}"

    @property
    def dim(self) -> int:
        if self._dim is None:
            self.embed_query("dimension probe")
        assert self._dim is not None
        return self._dim

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.concatenate([self._embed_batch(batch) for batch in batched(texts, self.batch_size)])

    def embed_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = self._embed_batch([text])[0]
        return vector

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        what = f"embedding endpoint ({self.model})"
        # OpenAI refuses empty strings; a space embeds as "nothing" everywhere.
        payload = {"model": self.model, "input": [t if t.strip() else " " for t in texts]}
        body = post_json(self._client, f"{self.base_url}/embeddings", payload, what, self.max_retries)
        try:
            items = sorted(body["data"], key=lambda item: item.get("index", 0))
            rows = [item["embedding"] for item in items]
        except (KeyError, TypeError, AttributeError) as exc:
            raise BackendUnavailable(f"{what} answered without data[].embedding") from exc
        vectors = check_vectors(rows, len(texts), self._dim, what)
        self._dim = vectors.shape[1]
        return vectors

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> OpenAIEmbedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
