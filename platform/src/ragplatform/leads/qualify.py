"""Qualifying a lead: a score (0..100), the intent, the next step and the reasons.

Two ways, the same result shape:

- **rules** (always available, offline): a points table over signals anyone can check. Each rule
  that fires is listed in ``reasons`` with its points; the score is their sum, clamped to 0..100.
  The intent is the strongest buying signal found (purchase > evaluation > support > information)
  and the next step follows from the intent and the score.
- **an LLM**, when the configured generator chain holds one (anything but the extractive
  answerer): it is asked for one JSON object, which is validated; output that is not a usable
  qualification (no JSON, a score outside 0..100, an unknown intent) or a chain that fell back to
  the extractive answerer gives the rules' result instead, with ``note`` saying why.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, Field, ValidationError

from ragplatform.errors import BackendUnavailable
from ragplatform.generation.base import GenerationRequest, GenerationStats, Generator
from ragplatform.generation.chain import OFFLINE, has_llm
from ragplatform.leads.base import (
    INTENTS,
    MAX_NEXT_STEP,
    Conversation,
    Intent,
    Qualification,
    Reason,
    Submission,
    email_domain,
)
from ragplatform.schema import Citation
from ragplatform.settings import LeadSettings

log = logging.getLogger(__name__)

RULES = "rules"

FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com", "live.com",
    "msn.com", "aol.com", "icloud.com", "me.com", "mail.com", "gmx.com", "gmx.de", "gmx.net", "web.de",
    "proton.me", "protonmail.com", "yandex.com", "yandex.ru", "zoho.com", "fastmail.com", "hey.com",
    "qq.com", "163.com", "orange.fr", "free.fr", "libero.it", "t-online.de", "example.com",
})  # fmt: skip


@dataclass(frozen=True)
class Rule:
    """A signal: its name, its points, what it means for a person, and the words that fire it."""

    name: str
    points: int
    detail: str
    pattern: re.Pattern[str]


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)


# The points table over what the person wrote (their message and, for a chat lead, their questions).
TEXT_RULES: tuple[Rule, ...] = (
    Rule("purchase_words", 25, "wants to buy, order or sign a contract",
         _words(r"buy(?:ing)?", r"purchas\w*", "place an order", "contract", r"sign(?:ing)? up", "procure\\w*",
                "invoice", r"onboard\w*")),
    Rule("demo_request", 20, "asks for a demo, a trial or a call",
         _words(r"demos?", r"trials?", "pilot", r"poc", r"calls?", r"meetings?", "walkthrough", "presentation")),
    Rule("pricing_question", 20, "asks about pricing",
         _words(r"pric\w*", r"costs?", r"quotes?", "subscription", r"licen[cs]\w*", "fees?")),
    Rule("team_size", 10, "names a team or seat count",
         re.compile(r"\b\d[\d,.]*\s*(?:\+\s*)?(?:people|users|seats|employees|staff|agents|members|engineers|"
                    r"developers|sales ?reps|locations|stores)\b|\bteam of\b", re.IGNORECASE)),
    Rule("timeline", 10, "has a timeline",
         _words("asap", "urgent(?:ly)?", r"this (?:week|month|quarter|year)", r"next (?:week|month|quarter)",
                r"q[1-4]", "deadline", r"by (?:monday|tuesday|wednesday|thursday|friday|end of \w+)",
                r"within \d+ (?:days|weeks|months)", "soon", "go[- ]live", "rollout")),
    Rule("budget", 10, "mentions a budget",
         re.compile(r"\bbudget\w*\b|[$€£]\s?\d|\b\d+\s?(?:k|m)\s?(?:usd|eur|gbp|\$|€|£)?\b|"
                    r"\b\d[\d,.]*\s?(?:usd|eur|gbp|dollars|euros)\b", re.IGNORECASE)),
    Rule("support_request", -10, "reads like a support request from an existing customer",
         _words("bug", "broken", "not working", "doesn't work", "does not work", "error", "crash\\w*",
                "refund", r"cancel\w*", "can't log in", "cannot log in", "password reset", "outage")),
)  # fmt: skip

WORK_EMAIL = Reason(rule="work_email", points=15, detail="writes from a company e-mail domain")
COMPANY = Reason(rule="company_given", points=10, detail="gave a company name")
NAME = Reason(rule="name_given", points=5, detail="gave a name")
CONSENT = Reason(rule="consent", points=5, detail="agreed to be contacted")
ENGAGED = 3  # questions asked in the chat for ``engaged_chat``
DEEPLY_ENGAGED = 6
UNANSWERED_POINTS = 5
QUALIFIED_DEFAULT: int = LeadSettings.model_fields["qualified_score"].default  # LEADS__QUALIFIED_SCORE


def rules(
    submission: Submission,
    conversation: Conversation | None = None,
    *,
    qualified_score: int = QUALIFIED_DEFAULT,
) -> Qualification:
    """The rules' qualification of ``submission`` (and the chat it came from)."""
    conversation = conversation or Conversation()
    reasons: list[Reason] = []
    domain = email_domain(submission.email)
    if domain and domain not in FREE_MAIL:
        reasons.append(WORK_EMAIL.model_copy(update={"detail": f"{WORK_EMAIL.detail} ({domain})"}))
    if submission.company.strip():
        reasons.append(COMPANY)
    if submission.name.strip():
        reasons.append(NAME)
    if submission.consent:
        reasons.append(CONSENT)
    text = "\n".join([submission.message, *conversation.questions])
    fired: set[str] = set()
    for rule in TEXT_RULES:
        found = rule.pattern.search(text)
        if found is not None:
            fired.add(rule.name)
            reasons.append(
                Reason(
                    rule=rule.name, points=rule.points, detail=f'{rule.detail} ("{found.group(0).strip()}")'
                )
            )
    reasons.extend(_conversation_reasons(conversation))
    score = max(0, min(100, sum(r.points or 0 for r in reasons)))
    intent = _intent(fired)
    return Qualification(score, intent, next_step(intent, score, qualified_score), tuple(reasons), RULES)


def _conversation_reasons(conversation: Conversation) -> Iterable[Reason]:
    asked = len(conversation.questions)
    if asked >= DEEPLY_ENGAGED:
        yield Reason(rule="engaged_chat", points=10, detail=f"asked {asked} questions in the chat")
    elif asked >= ENGAGED:
        yield Reason(rule="engaged_chat", points=5, detail=f"asked {asked} questions in the chat")
    if conversation.unanswered:
        yield Reason(
            rule="unanswered_questions",
            points=UNANSWERED_POINTS,
            detail=f"{conversation.unanswered} of their questions went unanswered: a person can help",
        )


def _intent(fired: set[str]) -> Intent:
    if "purchase_words" in fired:
        return "purchase"
    if fired & {"demo_request", "pricing_question"}:
        return "evaluation"
    if "support_request" in fired:
        return "support"
    return "information"


def next_step(intent: Intent, score: int, qualified_score: int = QUALIFIED_DEFAULT) -> str:
    """What a person should do next with a lead of ``intent`` scoring ``score``."""
    if intent == "support":
        return "hand over to support"
    if intent == "purchase":
        return "send a quote and book a call" if score >= qualified_score else "send pricing"
    if intent == "evaluation":
        return "book a demo" if score >= qualified_score else "send pricing"
    return "book a call" if score >= qualified_score else "nurture"


# -- the LLM ---------------------------------------------------------------------------------------

LLM_PROMPT = (
    "You qualify sales leads for a B2B software company. Read the lead in the passages and reply with "
    "one JSON object and nothing else, with these keys: "
    '"score" (an integer from 0 to 100: how likely this lead buys soon), '
    f'"intent" (one of {", ".join(INTENTS)}), '
    '"next_step" (what sales should do next, a few words, e.g. "book a demo", "send pricing", "nurture"), '
    '"reasons" (a list of short strings, each a fact from the lead that moved the score).'
)
LLM_MAX_TOKENS = 300
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


class LlmQualification(BaseModel):
    score: int = Field(ge=0, le=100)
    intent: Intent
    next_step: str = Field(min_length=1, max_length=MAX_NEXT_STEP)
    reasons: list[str] = Field(default_factory=list, max_length=20)


def lead_passages(submission: Submission, conversation: Conversation) -> list[Citation]:
    """The lead as numbered passages for a model: its details, then the visitor's questions."""
    details = "\n".join(
        f"{label}: {value}"
        for label, value in (
            ("E-mail domain", email_domain(submission.email)),
            ("Name", submission.name),
            ("Company", submission.company),
            ("Agreed to be contacted", "yes" if submission.consent else "no"),
            ("Message", submission.message),
        )
        if value
    )
    passages = [Citation("lead", "lead", "Lead", 1.0, text=details)]
    if conversation.questions:
        asked = "\n".join(f"- {q}" for q in conversation.questions[-20:])
        summary = f"{conversation.answered} answered, {conversation.unanswered} unanswered by the assistant"
        passages.append(Citation("chat", "chat", "Their chat questions", 1.0, text=f"{asked}\n({summary})"))
    return passages


def ask_llm(generator: Generator, submission: Submission, conversation: Conversation | None) -> Qualification:
    """The model's qualification. Raises ValueError (unusable output, or the chain fell back to the
    extractive answerer) and BackendUnavailable (no generator could answer)."""
    stats = GenerationStats()
    request = GenerationRequest(
        question="Qualify this lead. Reply with the JSON object only.",
        contexts=lead_passages(submission, conversation or Conversation()),
        system_prompt=LLM_PROMPT,
        max_tokens=LLM_MAX_TOKENS,
        temperature=0.0,
    )
    text = "".join(generator.stream(request, stats))
    provider = stats.provider or getattr(generator, "name", "")
    if provider == OFFLINE:
        raise ValueError("the generator chain fell back to the extractive answerer, which is no LLM")
    found = _JSON_OBJECT.search(text)
    if found is None:
        raise ValueError(f"{provider} answered no JSON object")
    try:
        parsed = LlmQualification.model_validate(json.loads(found.group(0)))
    except (ValueError, ValidationError) as exc:
        raise ValueError(f"{provider} answered an unusable qualification: {str(exc)[:200]}") from None
    reasons = tuple(Reason(rule="llm", detail=r.strip()[:300]) for r in parsed.reasons if r.strip())
    return Qualification(parsed.score, parsed.intent, parsed.next_step.strip(), reasons, f"llm:{provider}")


def qualify(
    submission: Submission,
    conversation: Conversation | None = None,
    *,
    generator: Generator | None = None,
    qualified_score: int = QUALIFIED_DEFAULT,
) -> Qualification:
    """The LLM's qualification when ``generator`` holds one and answers usably, else the rules'."""
    if generator is None or not has_llm(generator):
        return rules(submission, conversation, qualified_score=qualified_score)
    try:
        return ask_llm(generator, submission, conversation)
    except (ValueError, BackendUnavailable) as exc:
        note = exc.message if isinstance(exc, BackendUnavailable) else str(exc)
        log.info("lead qualified by rules: %s", note)
        result = rules(submission, conversation, qualified_score=qualified_score)
        return Qualification(result.score, result.intent, result.next_step, result.reasons, RULES, note)
