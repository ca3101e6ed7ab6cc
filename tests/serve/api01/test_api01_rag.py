"""API 01 POST /rag/embedding."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from ragplatform.factory import Platform


def test_embedding_returns_the_query_vector(client: httpx.Client, platform: Platform) -> None:
    r = client.post("/rag/embedding", json={"text": "steam engines"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"embedding", "text", "model"}
    assert body["text"] == "steam engines"
    assert body["model"] == platform.embedder.model_id
    assert len(body["embedding"]) == platform.embedder.dim
    assert math.isclose(math.sqrt(sum(x * x for x in body["embedding"])), 1.0, rel_tol=1e-3)


@pytest.mark.parametrize("text", ["", "   ", "x" * 8001])
def test_embedding_rejects_empty_and_oversized_text(client: httpx.Client, text: str) -> None:
    r = client.post("/rag/embedding", json={"text": text})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "text"]
