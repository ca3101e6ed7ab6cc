"""Qualifying a lead: the rules' points table, and an LLM behind a real localhost HTTP server that
speaks the OpenAI streaming format (only the network boundary is stood in for)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "generation"))

from gen_fakes import FakeProvider, Reply, sse, start_fake_provider

from ragplatform.errors import InvalidInput
from ragplatform.generation.chain import has_llm
from ragplatform.generation.extractive import ExtractiveGenerator
from ragplatform.generation.fallback import FallbackGenerator
from ragplatform.generation.openai_compat import OpenAICompatGenerator
from ragplatform.leads.base import Conversation, Submission, check_email, email_key, emails_in
from ragplatform.leads.qualify import qualify, rules
from ragplatform.leads.service import chat_consent, query_terms

HOT = Submission(
    "jane.doe@acme-saas.io",
    name="Jane Doe",
    company="Acme SaaS",
    message="We are a team of 40 agents. Please send pricing and book a demo; budget approved, go-live this quarter.",
    consent=True,
)
COLD = Submission("bob@gmail.com", message="just looking around", consent=True)


def rule_names(result: object) -> list[str]:
    return [r.rule for r in result.reasons]  # type: ignore[attr-defined]


def test_a_hot_lead_scores_high_and_lists_every_rule_with_its_points() -> None:
    hot, cold = rules(HOT), rules(COLD)
    assert hot.score > cold.score
    assert hot.score >= 60 and cold.score < 30
    assert hot.method == "rules"
    names = rule_names(hot)
    for expected in ("work_email", "company_given", "name_given", "consent", "demo_request",
                     "pricing_question", "team_size", "timeline", "budget"):  # fmt: skip
        assert expected in names
    assert all(r.points is not None and r.points != 0 for r in hot.reasons)
    work = next(r for r in hot.reasons if r.rule == "work_email")
    assert "acme-saas.io" in work.detail
    assert hot.intent == "evaluation" and hot.next_step == "book a demo"
    # the score is the sum of the points listed, clamped to 0..100
    assert hot.score == min(100, sum(r.points or 0 for r in hot.reasons))
    assert cold.score == sum(r.points or 0 for r in cold.reasons)
    assert "work_email" not in rule_names(cold)  # gmail is free mail
    assert cold.intent == "information" and cold.next_step == "nurture"


def test_intent_follows_the_strongest_signal() -> None:
    buy = rules(Submission("a@corp.example.org", message="We want to buy 20 seats, send the contract"))
    assert buy.intent == "purchase"
    support = rules(Submission("a@corp.example.org", message="My login is broken, I need a refund"))
    assert support.intent == "support" and support.next_step == "hand over to support"
    assert any(r.rule == "support_request" and r.points == -10 for r in support.reasons)


def test_the_chat_conversation_counts() -> None:
    chat = Conversation(("what does it cost?", "do you integrate with CRM?", "how long is onboarding?"), 2, 1)
    result = rules(Submission("a@b-corp.io", consent=True), chat)
    names = rule_names(result)
    assert "engaged_chat" in names and "unanswered_questions" in names and "pricing_question" in names
    assert result.score > rules(Submission("a@b-corp.io", consent=True)).score


def test_addresses_in_text_and_the_address_rule() -> None:
    assert emails_in("reach me at Ada.L@Example.org. or ada.l@example.org, thanks") == ["Ada.L@Example.org"]
    assert emails_in("no address here @ all") == []
    assert email_key("  Ada@X.ORG ") == "ada@x.org"
    assert check_email(" ada@x.org ") == "ada@x.org"
    for bad in ("", "ada", "ada@x", "a b@x.org", "@x.org", "x" * 250 + "@x.org"):
        with pytest.raises(InvalidInput) as info:
            check_email(bad)
        assert info.value.field == "email"


def test_submission_limits_name_the_field() -> None:
    with pytest.raises(InvalidInput) as info:
        Submission("a@x.org", message="x" * 5001).checked()
    assert info.value.field == "message" and "5000" in info.value.message


def test_query_terms_and_chat_consent() -> None:
    assert query_terms("Find top prospects in SaaS") == ["saas"]
    assert query_terms("leads from fintech companies or agencies") == ["fintech", "agenc"]
    assert query_terms("Find top prospects") == []
    assert chat_consent({"lead_consent": True})
    assert chat_consent({"agent_metadata": {"lead_consent": True}})
    assert not chat_consent({"lead_consent": "yes"}) and not chat_consent({})


# -- the LLM ------------------------------------------------------------------------------------------


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    fake, server = start_fake_provider()
    yield fake
    server.shutdown()
    server.server_close()


def answer(text: str) -> Reply:
    chunk = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": text}}]}
    done = {
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    }
    return Reply(parts=[sse(chunk), sse(done), sse("[DONE]")])


def chain(provider: FakeProvider) -> FallbackGenerator:
    return FallbackGenerator([OpenAICompatGenerator(provider.base_url + "/v1", None, "m", timeout=5),
                              ExtractiveGenerator()])  # fmt: skip


def test_an_llm_qualification_is_validated_and_recorded(provider: FakeProvider) -> None:
    verdict = {
        "score": 88,
        "intent": "purchase",
        "next_step": "send a quote",
        "reasons": ["40 seats", "budget"],
    }
    provider.reply = answer("Here you go: " + json.dumps(verdict))
    result = qualify(HOT, generator=chain(provider))
    assert (result.score, result.intent, result.next_step, result.method) == (
        88,
        "purchase",
        "send a quote",
        "llm:openai",
    )
    assert [r.detail for r in result.reasons] == ["40 seats", "budget"]
    sent = provider.requests[0].body["messages"]
    assert "JSON" in sent[0]["content"] and "Acme SaaS" in sent[-1]["content"]
    assert "jane.doe" not in sent[-1]["content"]  # the domain is sent, not the address


@pytest.mark.parametrize(
    "text",
    [
        "I think this lead is great",
        json.dumps({"score": 140, "intent": "purchase", "next_step": "call", "reasons": []}),
        json.dumps({"score": 50, "intent": "world domination", "next_step": "call", "reasons": []}),
    ],
)
def test_unusable_llm_output_falls_back_to_the_rules(provider: FakeProvider, text: str) -> None:
    provider.reply = answer(text)
    result = qualify(HOT, generator=chain(provider))
    assert result.method == "rules" and result.note
    assert result.score == rules(HOT).score


def test_an_unreachable_llm_falls_back_to_the_rules(provider: FakeProvider) -> None:
    provider.reply = Reply(503, "application/json", ['{"error": "down"}'])
    result = qualify(HOT, generator=chain(provider))
    assert result.method == "rules" and "extractive" in result.note


def test_the_extractive_answerer_is_no_llm(provider: FakeProvider) -> None:
    assert not has_llm(ExtractiveGenerator())
    assert not has_llm(FallbackGenerator([ExtractiveGenerator()]))
    assert has_llm(chain(provider))
    assert qualify(HOT, generator=ExtractiveGenerator()).method == "rules"
    assert provider.requests == []
