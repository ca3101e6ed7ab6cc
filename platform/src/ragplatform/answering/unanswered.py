"""The unanswered queue: questions the assistant answered with "I don't know", for admins to handle.

Nothing extra is stored when a question goes unanswered: ``AnswerService`` (and API 01's
``POST /mongodb/session``) already store the assistant's answer with ``metadata.unanswered``
and the question in ``metadata.question``. The queue is those answers whose
``metadata.resolved`` is not set; resolving writes an FAQ item and sets it, so the next
time the question is asked the FAQ answers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from ragplatform.content.base import MAX_LONG, MAX_SHORT, ContentStore, FaqCreate, FaqItem
from ragplatform.errors import Conflict, InvalidInput, NotFound
from ragplatform.sessions.base import Message, SessionStore

MAX_COUNT = 1000


@dataclass(frozen=True)
class UnansweredQuestion:
    id: str  # the id of the assistant's "I don't know" message
    session_id: str
    user_id: str | None
    question: str
    answer: str
    asked_at: datetime
    index_version: str | None
    resolved: dict[str, Any] | None = None


class UnansweredQueue:
    def __init__(self, sessions: SessionStore, content: ContentStore) -> None:
        self.sessions = sessions
        self.content = content

    def items(self, limit: int = 50, skip: int = 0) -> list[UnansweredQuestion]:
        """Open items, newest first. Raises InvalidInput for a bad page."""
        messages = self.sessions.search_messages(
            role="assistant", unanswered=True, resolved=False, limit=limit, skip=skip
        )
        return [self._item(m) for m in messages]

    def count(self, cap: int = MAX_COUNT) -> int:
        """Open items, counted up to ``cap``."""
        return len(
            self.sessions.search_messages(role="assistant", unanswered=True, resolved=False, limit=cap)
        )

    def get(self, item_id: str) -> UnansweredQuestion:
        """The item, open or resolved. Raises NotFound when ``item_id`` is no unanswered answer."""
        missing = NotFound(f"unanswered item {item_id} not found")
        try:
            message = self.sessions.get_message(item_id)
        except (NotFound, InvalidInput):
            raise missing from None
        if message.role != "assistant" or message.metadata.get("unanswered") is not True:
            raise missing
        return self._item(message)

    def resolve(self, item_id: str, answer: str, question: str | None = None, by: str = "") -> FaqItem:
        """Writes an active FAQ item (the item's question unless ``question`` is given) and takes the
        item off the queue, with the other open items that asked the same question (compared
        case- and space-insensitively). Raises NotFound, Conflict (handled already), InvalidInput."""
        item = self._open(item_id)
        text = (question or item.question).strip()
        try:
            data = FaqCreate(question=text, answer=answer.strip(), is_active=True)
        except ValidationError as exc:
            field, value, message = _faq_problem(exc, text, answer.strip())
            raise InvalidInput(message, field=field, value=value) from None
        faq = self.content.create_faq(data)
        resolution = {"action": "faq", "faq_id": faq.id, "by": by}
        self._mark(item.id, resolution)
        for same in self._same_question(item):
            self._mark(same.id, {**resolution, "with": item.id})
        return faq

    def dismiss(self, item_id: str, by: str = "") -> UnansweredQuestion:
        """Takes the item off the queue without an FAQ item. Raises NotFound, Conflict."""
        item = self._open(item_id)
        self._mark(item.id, {"action": "dismissed", "faq_id": None, "by": by})
        return self.get(item.id)

    # -- helpers ----------------------------------------------------------------------------

    def _open(self, item_id: str) -> UnansweredQuestion:
        item = self.get(item_id)
        if item.resolved:
            how = item.resolved.get("action", "resolved")
            faq = f" into FAQ item {item.resolved['faq_id']}" if item.resolved.get("faq_id") else ""
            raise Conflict(f"unanswered item {item_id} was handled already ({how}{faq})")
        return item

    def _same_question(self, item: UnansweredQuestion) -> list[UnansweredQuestion]:
        key = _normalised(item.question)
        return [i for i in self.items(limit=MAX_COUNT) if i.id != item.id and _normalised(i.question) == key]

    def _mark(self, item_id: str, resolution: dict[str, Any]) -> None:
        resolution["at"] = datetime.now(UTC).isoformat()
        self.sessions.update_message(item_id, metadata={"resolved": resolution})

    def _item(self, message: Message) -> UnansweredQuestion:
        meta = message.metadata
        question = meta.get("question")
        if not isinstance(question, str) or not question:
            question = self._asked_before(message)
        user = meta.get("user_id")
        resolved = meta.get("resolved")
        version = meta.get("index_version")
        return UnansweredQuestion(
            id=message.id,
            session_id=message.session_id,
            user_id=str(user) if user is not None else None,
            question=question,
            answer=message.content,
            asked_at=message.created_at,
            index_version=str(version) if version is not None else None,
            resolved=resolved if isinstance(resolved, dict) else None,
        )

    def _asked_before(self, answer: Message) -> str:
        """The user message right before ``answer`` (for answers stored without ``metadata.question``)."""
        question = ""
        for m in self.sessions.list_messages(answer.session_id):
            if m.id == answer.id:
                break
            if m.role == "user":
                question = m.content
        return question


def _normalised(question: str) -> str:
    return " ".join(question.lower().split())


def _faq_problem(exc: ValidationError, question: str, answer: str) -> tuple[str, int, str]:
    """(field, its length, message) for the FAQ item ``FaqCreate`` refused."""
    fields = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
    if "question" in fields:
        if not question:
            return "question", 0, "question must not be empty: give the question the FAQ item answers"
        return (
            "question",
            len(question),
            f"question is {len(question)} characters long; an FAQ question holds at most {MAX_SHORT}: "
            "give a shorter question",
        )
    return "answer", len(answer), f"answer must not be empty and at most {MAX_LONG} characters long"
