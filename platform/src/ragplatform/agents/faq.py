"""``faq_agent``: drafts FAQ items from the unanswered queue, for an admin to accept.

It reads the open unanswered questions (``answering/unanswered.py``), groups near-duplicates
(the same content words, Jaccard overlap of at least ``SIMILAR``), and for the most frequent groups
asks the promoted index through the answering path every dialect uses, without storing or logging
anything (``persist=False, record=False``). A draft carries the question, the draft answer and its
sources; when the index still has no answer, the closest passages are given as sources and
``draft_answer`` is None, for the admin to write one. A group an active FAQ item now answers is
listed apart (``already_in_faq``), not drafted.

Accepting: ``accept`` (draft ids, or ``{"item_id", "answer", "question"}`` to edit the draft) writes
each as an active FAQ item and takes it off the queue, with the open items that asked the very same
question, exactly as ``POST /api/admin/unanswered/{item_id}/resolve`` does. Admins only: the queue
holds every visitor's questions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ragplatform.agents.base import AgentContext
from ragplatform.answering.service import Answer
from ragplatform.answering.unanswered import UnansweredQuestion, UnansweredQueue
from ragplatform.content.base import MAX_LONG, MAX_SHORT
from ragplatform.errors import BadAgentRequest, Conflict, InvalidInput, NotFound, PermissionDenied
from ragplatform.generation.extractive import tokenize
from ragplatform.schema import Citation

SCAN = 1000  # open queue items read per call
SIMILAR = 0.6  # Jaccard overlap of content words for two questions to be one group
MAX_VARIANTS = 5
CLOSEST = 3  # passages given as sources when the index has no answer


class FaqAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: str = Field(min_length=1, max_length=200, description="A draft's id (an unanswered item).")
    answer: str | None = Field(
        default=None, min_length=1, max_length=MAX_LONG, description="The answer; the draft's when omitted."
    )
    question: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_SHORT,
        description="The question; the draft's when omitted.",
    )


class FaqInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=10, ge=1, le=50, description="Drafts to return (1..50), most asked first.")
    min_count: int = Field(default=1, ge=1, le=SCAN, description="Draft only questions asked this often.")
    days: int | None = Field(
        default=None, ge=1, le=3650, description="Only questions asked in the last N days."
    )
    accept: list[FaqAccept | str] = Field(
        default_factory=list,
        max_length=50,
        description="Accept drafts instead: their ids, or objects with an edited answer or question.",
    )


@dataclass
class QuestionGroup:
    words: frozenset[str]
    key: str
    items: list[UnansweredQuestion] = field(default_factory=list)

    @property
    def representative(self) -> UnansweredQuestion:
        """The newest item of the most frequent wording."""
        wording = Counter(_normalised(i.question) for i in self.items).most_common(1)[0][0]
        return next(i for i in self.items if _normalised(i.question) == wording)


class FaqAgent:
    name = "faq_agent"
    description = (
        "Drafts FAQ items (question, draft answer from the promoted index, sources) from the most "
        "frequent unanswered questions, and accepts drafts into the FAQ. Admins only."
    )
    Input = FaqInput

    def run(self, params: FaqInput, context: AgentContext) -> dict[str, Any]:
        """Raises PermissionDenied (not an admin), BadAgentRequest (an item to accept that is not
        open, or has no answer to accept), BackendUnavailable."""
        if not context.is_admin:
            raise PermissionDenied(
                "faq_agent needs an admin account: the unanswered queue holds every visitor's questions"
            )
        queue = UnansweredQueue(context.platform.sessions, context.platform.content)
        if params.accept:
            return {"accepted": [self._accept(queue, i, a, context) for i, a in enumerate(params.accept)]}
        items = queue.items(limit=SCAN)
        if params.days is not None:
            since = datetime.now(UTC) - timedelta(days=params.days)
            items = [i for i in items if i.asked_at >= since]
        groups = [g for g in group_questions(items) if len(g.items) >= params.min_count]
        drafts: list[dict[str, Any]] = []
        in_faq: list[dict[str, Any]] = []
        for group in groups:
            if len(drafts) >= params.limit:
                break
            item = group.representative
            answer = _draft(context, item.question)
            if answer is not None and answer.source == "faq":
                ids = [i.id for i in group.items]
                in_faq.append(
                    {"id": item.id, "question": item.question, "faq_id": answer.faq_id, "item_ids": ids}
                )
                continue
            drafts.append(_draft_item(group, item, answer))
        return {
            "drafts": drafts,
            "count": len(drafts),
            "already_in_faq": in_faq,
            "open_questions": len(items),
            "groups": len(groups),
        }

    def _accept(
        self, queue: UnansweredQueue, index: int, accept: FaqAccept | str, context: AgentContext
    ) -> dict[str, Any]:
        where = f"input.accept.{index}"
        entry = FaqAccept(item_id=accept) if isinstance(accept, str) else accept
        try:
            item = queue.get(entry.item_id)
            if item.resolved:
                raise Conflict(f"unanswered item {entry.item_id} was handled already")
            answer_text = entry.answer
            if answer_text is None:
                drafted = _draft(context, entry.question or item.question)
                if drafted is None or drafted.unanswered or drafted.source == "faq":
                    raise BadAgentRequest(
                        f"item {entry.item_id} has no draft answer to accept: give one as answer",
                        field=f"{where}.answer",
                    )
                answer_text = drafted.answer
            faq = queue.resolve(entry.item_id, answer_text, entry.question, by=context.user_id or "")
        except (NotFound, Conflict) as exc:
            raise BadAgentRequest(exc.message, field=f"{where}.item_id", value=entry.item_id) from exc
        except BadAgentRequest:
            raise
        except InvalidInput as exc:
            raise BadAgentRequest(exc.message, field=f"{where}.{exc.field}", value=exc.value) from exc
        return {"item_id": entry.item_id, "faq_id": faq.id, "question": faq.question, "answer": faq.answer}


def group_questions(items: list[UnansweredQuestion]) -> list[QuestionGroup]:
    """``items`` grouped by near-identical content words, most asked first (then most recent)."""
    groups: list[QuestionGroup] = []
    for item in items:
        words = frozenset(tokenize(item.question))
        key = _normalised(item.question)
        for group in groups:
            if key == group.key or _similar(words, group.words):
                group.items.append(item)
                break
        else:
            groups.append(QuestionGroup(words, key, [item]))
    return sorted(groups, key=lambda g: (-len(g.items), -max(i.asked_at for i in g.items).timestamp()))


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a and b) and len(a & b) / len(a | b) >= SIMILAR


def _normalised(question: str) -> str:
    return " ".join(question.lower().split())


def _draft(context: AgentContext, question: str) -> Answer | None:
    """The promoted index's answer, neither stored nor logged; None without a promoted index."""
    answers = context.platform.answers
    try:
        return answers.ask(answers.check_question(question), persist=False, record=False)
    except NotFound:
        return None


def _draft_item(group: QuestionGroup, item: UnansweredQuestion, answer: Answer | None) -> dict[str, Any]:
    answered = answer is not None and not answer.unanswered
    if answer is None:
        sources: list[dict[str, Any]] = []
    elif answered:
        sources = [c.to_dict() for c in answer.citations]
    else:
        sources = [Citation.from_hit(h, snippet_chars=500).to_dict() for h in answer.hits[:CLOSEST]]
    variants = list(dict.fromkeys(i.question.strip() for i in group.items))[:MAX_VARIANTS]
    return {
        "id": item.id,
        "question": item.question,
        "count": len(group.items),
        "item_ids": [i.id for i in group.items],
        "variants": variants,
        "last_asked_at": max(i.asked_at for i in group.items).isoformat(),
        "draft_answer": answer.answer if answered and answer is not None else None,
        "answered": answered,
        "sources": sources,
        "index_version": answer.index_version if answer is not None else None,
    }
