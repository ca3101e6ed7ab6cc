"""The agent registry and input validation, without engines."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from ragplatform.agents.base import AgentContext, AgentRegistry
from ragplatform.agents.invoke import AgentService, default_registry, validate_input
from ragplatform.agents.search import SearchAgent
from ragplatform.agents.summary import SummaryAgent, key_terms, text_passages
from ragplatform.errors import BadAgentRequest, Conflict


class EchoInput(BaseModel):
    word: str


class EchoAgent:
    name = "echo_agent"
    description = "says the word back"
    Input = EchoInput

    def run(self, params: EchoInput, context: AgentContext) -> dict[str, Any]:
        return {"word": params.word, "user": context.user_id}


def test_default_registry_lists_the_built_agents() -> None:
    assert default_registry().names() == [
        "chat_agent",
        "search_agent",
        "summary_agent",
        "lead_agent",
        "faq_agent",
    ]


def test_unknown_agent_names_the_known_ones() -> None:
    with pytest.raises(BadAgentRequest) as info:
        default_registry().get("weather_agent")
    assert "weather_agent" in info.value.message
    assert "chat_agent, search_agent, summary_agent, lead_agent, faq_agent" in info.value.message
    assert info.value.field == "agent_type"


def test_a_name_is_registered_once() -> None:
    registry = AgentRegistry([EchoAgent()])
    with pytest.raises(Conflict):
        registry.register(EchoAgent())


def test_top_k_out_of_range_is_refused_with_the_field() -> None:
    with pytest.raises(BadAgentRequest) as info:
        validate_input(SearchAgent(), {"query": "engine", "top_k": 0})
    assert info.value.field == "input.top_k"
    assert "greater than or equal to 1" in info.value.message


def test_summary_needs_exactly_one_source() -> None:
    with pytest.raises(BadAgentRequest, match="exactly one"):
        validate_input(SummaryAgent(), {"text": "a", "session_id": "b"})
    with pytest.raises(BadAgentRequest, match="exactly one"):
        validate_input(SummaryAgent(), {})


def test_unknown_input_fields_are_refused() -> None:
    with pytest.raises(BadAgentRequest, match=r"input\.qestion"):
        validate_input(default_registry().get("chat_agent"), {"qestion": "hi"})


def test_a_registered_agent_runs_with_the_callers_context() -> None:
    service = AgentService(platform=None, registry=AgentRegistry([EchoAgent()]))  # type: ignore[arg-type]
    run = service.invoke("echo_agent", {"word": "hello"})
    assert run.status == "completed"
    assert run.result == {"word": "hello", "user": None}
    assert len(run.request_id) == 36


def test_key_terms_and_passages() -> None:
    text = "Steam engines pump water.\n\nThe steam engine of Newcomen pumped water from mines."
    assert set(key_terms(text)[:3]) == {"steam", "engine", "water"}
    assert [p.text for p in text_passages(text, "text")] == [
        "Steam engines pump water.",
        "The steam engine of Newcomen pumped water from mines.",
    ]
