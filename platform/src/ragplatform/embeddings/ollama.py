"""Embeddings from an Ollama server's native API (``POST {base_url}/api/embed``).

For Ollama's OpenAI-compatible ``/v1`` endpoint use OpenAIEmbedder instead;
the native API also truncates over-long inputs instead of failing.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import numpy as np

from ragplatform.embeddings.openai import batched, check_vectors, post_json
from ragplatform.errors import BackendUnavailable, InvalidInput


class OllamaEmbedder:
    """``model_id`` is ``ollama/<model>`` (e.g. ``ollama/nomic-embed-text``); vectors are re-normalised here."""

    def __init__(
        self,
        base_url: str = "http://localhost:11434",
        model: str = "nomic-embed-text",
        dim: int | None = None,
        batch_size: int = 32,
        timeout: float = 120.0,
        max_retries: int = 2,
        keep_alive: str | None = None,
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
        self.keep_alive = keep_alive
        self._dim = dim
        self._client = httpx.Client(timeout=timeout)

    @property
    def model_id(self) -> str:
        return f"ollama/{self.model}"

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
        what = f"Ollama ({self.model})"
        payload: dict[str, object] = {"model": self.model, "input": texts, "truncate": True}
        if self.keep_alive is not None:
            payload["keep_alive"] = self.keep_alive
        body = post_json(self._client, f"{self.base_url}/api/embed", payload, what, self.max_retries)
        if not isinstance(body, dict) or "embeddings" not in body:
            raise BackendUnavailable(f"{what} answered without 'embeddings'")
        vectors = check_vectors(body["embeddings"], len(texts), self._dim, what)
        self._dim = vectors.shape[1]
        return vectors

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> OllamaEmbedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
