"""GET /api/v1/model (API 05): what a chat may choose, the generator chain first, each with its availability."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from conftest import SignedIn
    from ragplatform.settings import Settings


def test_the_chain_first_then_every_provider_with_its_availability(
    client: httpx.Client, alice: SignedIn
) -> None:
    r = client.get("/api/v1/model", headers=alice.headers)
    assert r.status_code == 200
    body = r.json()
    assert (body["total"], body["page"], body["size"], body["pages"]) == (9, 1, 20, 1)
    assert body["items"][0] == {
        "id": "extractive",
        "name": "extractive",
        "api_source": "extractive",
        "provider": "Extractive (quotes the retrieved passages)",
        "default": True,
        "fallback_order": 0,
        "available": True,
        "missing_setting": None,
    }
    others = {m["api_source"]: m for m in body["items"][1:]}
    assert set(others) == {"openai", "anthropic", "groq", "aws", "ollama", "huggingface", "gemini", "local"}
    assert not any(m["default"] or m["fallback_order"] is not None for m in others.values())
    # nothing remote is configured in the tests: each names the setting to add
    assert (others["groq"]["id"], others["groq"]["available"]) == ("llama-3.1-8b-instant", False)
    assert "GROQ_API_KEY" in others["groq"]["missing_setting"]
    assert "ANTHROPIC_API_KEY" in others["anthropic"]["missing_setting"]
    assert others["local"]["id"] == "SmolLM2-135M-Instruct"
    assert (
        client.get("/api/v1/model", params={"page": 2, "size": 5}, headers=alice.headers).json()["items"]
        == (body["items"][5:])
    )
    assert client.get("/api/v1/model").status_code == 401
    assert client.get("/api/v1/model", params={"size": 0}, headers=alice.headers).status_code == 422


def test_every_provider_in_the_chain_is_listed_in_order(settings: Settings) -> None:
    from ragplatform.generation.catalog import configured_models

    llm = settings.llm.model_copy(
        update={"providers": ["local", "openai", "ollama", "anthropic", "gemini", "extractive"]}
    )
    models = configured_models(settings.model_copy(update={"llm": llm}))
    assert [(m.id, m.api_source, m.default) for m in models] == [
        ("SmolLM2-135M-Instruct", "local", True),
        ("gpt-4o-mini", "openai", False),
        ("llama3.2", "ollama", False),
        ("claude-3-5-haiku-latest", "anthropic", False),
        ("gemini-2.0-flash", "gemini", False),
        ("extractive", "extractive", False),
    ]
