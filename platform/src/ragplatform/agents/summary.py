"""``summary_agent``: summarises a text, one of the caller's sessions or uploaded documents with the
configured generator.

The text is cut into numbered passages (paragraphs, or a session's messages) and handed to the
generator with the text's most frequent content words as the request, so the extractive answerer
picks the sentences that carry them (the most representative ones) and an LLM writes a summary
around them.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ragplatform.agents.base import AgentContext
from ragplatform.errors import InvalidInput, NotFound
from ragplatform.generation.base import GenerationRequest, GenerationStats
from ragplatform.generation.extractive import tokenize
from ragplatform.schema import Citation
from ragplatform.sessions.owners import may_see

MAX_TEXT_CHARS = 100_000
MAX_PASSAGES = 40
MAX_PASSAGE_CHARS = 2_000
KEY_TERMS = 8
SUMMARY_PROMPT = (
    "You summarise the numbered passages in two or three sentences, using only what they say. "
    "Cite passages as [n]."
)
_PARAGRAPH = re.compile(r"\n\s*\n")

Kind = Literal["text", "session", "document"]


class SummaryInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT_CHARS, description="A text.")
    session_id: str | None = Field(
        default=None, min_length=1, max_length=200, description="A session of the caller's."
    )
    document_id: str | None = Field(
        default=None, min_length=1, max_length=200, description="A document the caller uploaded."
    )

    @model_validator(mode="after")
    def exactly_one(self) -> SummaryInput:
        given = [name for name in ("text", "session_id", "document_id") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of text, session_id or document_id, got {len(given)}")
        return self


class SummaryAgent:
    name = "summary_agent"
    description = "Summarises a text, one of the caller's sessions or one of their uploaded documents."
    Input = SummaryInput

    def run(self, params: SummaryInput, context: AgentContext) -> dict[str, Any]:
        """Raises NotFound (a session or document the caller may not see), InvalidInput (nothing to
        summarise), BackendUnavailable."""
        kind, ref, passages = self._passages(params, context)
        terms = key_terms(" ".join(p.text for p in passages))
        if not terms:
            raise InvalidInput(f"the {kind} has no words to summarise", field=_FIELD[kind])
        generator = context.platform.answers.generator
        stats = GenerationStats()
        request = GenerationRequest(
            question=f"Summarise: {', '.join(terms)}",
            contexts=passages,
            system_prompt=SUMMARY_PROMPT,
            max_tokens=300,
        )
        summary = "".join(generator.stream(request, stats)).strip()
        return {
            "summary": summary,
            "kind": kind,
            "id": ref,
            "key_terms": terms,
            "passages": len(passages),
            "generator": stats.provider or generator.name,
        }

    def _passages(
        self, params: SummaryInput, context: AgentContext
    ) -> tuple[Kind, str | None, list[Citation]]:
        if params.session_id is not None:
            return "session", params.session_id, session_passages(context, params.session_id)
        if params.document_id is not None:
            owner = None if context.is_admin else (context.user_id or "")
            text = context.platform.documents.read_text(params.document_id, owner=owner)
            return "document", params.document_id, text_passages(text, f"document/{params.document_id}")
        return "text", None, text_passages(params.text or "", "text")


_FIELD: dict[Kind, str] = {"text": "text", "session": "session_id", "document": "document_id"}


def key_terms(text: str, n: int = KEY_TERMS) -> list[str]:
    """The ``n`` most frequent content words of ``text`` (stopwords, numbers and short words left out)."""
    counts = Counter(t for t in tokenize(text) if len(t) > 2 and not t.isdigit())
    return [term for term, _ in counts.most_common(n)]


def text_passages(text: str, source: str) -> list[Citation]:
    """Paragraphs of ``text`` as numbered passages, at most ``MAX_PASSAGES`` of ``MAX_PASSAGE_CHARS``."""
    paragraphs = [" ".join(p.split()) for p in _PARAGRAPH.split(text)]
    return [
        Citation(f"{source}#{i}", source, "", 1.0, text=p[:MAX_PASSAGE_CHARS])
        for i, p in enumerate((p for p in paragraphs if p), start=1)
    ][:MAX_PASSAGES]


def session_passages(context: AgentContext, session_id: str) -> list[Citation]:
    """The session's messages, newest ``MAX_PASSAGES``, as passages. Raises NotFound for a session
    that does not exist or that the caller may not see (the same answer for both)."""
    sessions = context.platform.sessions
    try:
        session = sessions.get_session(session_id)
    except NotFound:
        raise NotFound("Session not found") from None
    if not may_see(session, context.user_id, context.role):
        raise NotFound("Session not found")
    messages = sessions.list_messages(session_id, limit=MAX_PASSAGES)
    return [
        Citation(m.id, f"session/{session_id}", m.role, 1.0, text=m.content[:MAX_PASSAGE_CHARS])
        for m in messages
        if m.content.strip()
    ]
