"""AnswerService: question → (FAQ | retrieval → generation) → answer with citations, stored
in the session; every API dialect, the CLI and the console call this one path."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from ragplatform.answering.faq import FaqMatcher
from ragplatform.answering.relevance import relevant_hits
from ragplatform.answering.serving import ServingIndex
from ragplatform.embeddings.base import Embedder
from ragplatform.errors import InvalidInput, NotFound
from ragplatform.generation.base import GenerationRequest, GenerationStats, Generator
from ragplatform.retrieval.retriever import MultiRetriever, Retriever
from ragplatform.schema import Citation, SearchHit
from ragplatform.sessions.base import Message, Session, SessionStore
from ragplatform.settings import AnswerSettings
from ragplatform.vectorindex.base import Fusion, SearchMode, VectorIndex

log = logging.getLogger(__name__)

USER_DOCUMENTS = "user_documents"
IDK = "I don't know: nothing in the knowledge base answers that question."
_IDK_OPENINGS = ("i don't know", "i do not know", "i don’t know")


def says_it_does_not_know(text: str) -> bool:
    """Whether an answer opens with "I don't know" (what the prompt asks a model to say when the
    documents do not contain the answer, and what the extractive answerer says)."""
    return text.strip().lower().startswith(_IDK_OPENINGS)


NO_RAG_PROMPT = (
    "You are a helpful assistant. Answer the question briefly. If you are not sure, say that you do not know."
)

AnswerSource = Literal["faq", "rag", "no_context", "llm", "client"]


@dataclass(frozen=True)
class AskOptions:
    top_k: int | None = None
    distance_threshold: float | None = None
    mode: SearchMode | None = None
    alpha: float | None = None
    fusion: Fusion | None = None
    use_rag: bool = True
    include_history: bool = True
    history_turns: int = 3


@dataclass
class Answer:
    answer: str
    citations: list[Citation]
    unanswered: bool
    source: AnswerSource
    session_id: str
    index_version: str | None
    generator: str
    timings: dict[str, float] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    faq_id: int | None = None
    message_id: str | None = None
    hits: list[SearchHit] = field(default_factory=list)  # everything retrieved, before the relevance cut

    def outcome(self) -> dict[str, Any]:
        """What every dialect reports beside the answer's text: citations, session, whether it was
        answered, where the answer came from and the index version."""
        return {
            "citations": [c.to_dict() for c in self.citations],
            "session_id": self.session_id,
            "unanswered": self.unanswered,
            "source": self.source,
            "index_version": self.index_version,
        }


@dataclass(frozen=True)
class AnswerEvent:
    """``status`` (stage), ``content`` (a piece of the answer), ``done`` (the Answer)."""

    type: Literal["status", "content", "done"]
    data: Any


AnswerHook = Callable[[str, "Answer", str], None]  # (question, answer, user_id); runs after storing


@dataclass(frozen=True)
class RecordedExchange:
    """A question and the answer a client produced itself, as stored (``answer`` None when empty)."""

    session: Session
    question: Message
    answer: Message | None
    unanswered: bool


class AnswerService:
    def __init__(
        self,
        serving: ServingIndex,
        embedder: Embedder,
        index: VectorIndex,
        sessions: SessionStore,
        generator: Generator,
        faq: FaqMatcher | None,
        settings: AnswerSettings,
        chat_generator: Callable[[Session], Generator | None] | None = None,
    ) -> None:
        """``chat_generator`` picks the generator of a session that names its own model (API 05's
        chats: ``ModelGenerators.for_chat``); None from it, or no session: ``generator``."""
        self.serving = serving
        self.embedder = embedder
        self.index = index
        self.sessions = sessions
        self.generator = generator
        self.chat_generator = chat_generator
        self.faq = faq
        self.settings = settings
        self.on_answered: list[AnswerHook] = []  # every answer (metrics)
        self.on_unanswered: list[AnswerHook] = []  # "I don't know" answers (admin notifications)

    # -- public ---------------------------------------------------------------

    def ask(self, question: str, **kwargs: Any) -> Answer:
        """Runs ``stream`` to the end. Raises InvalidInput, NotFound (no promoted index)."""
        answer: Answer | None = None
        for event in self.stream(question, **kwargs):
            if event.type == "done":
                answer = event.data
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        *,
        user_id: str = "anonymous",
        session_id: str | None = None,
        options: AskOptions = AskOptions(),
        owner: str | None = None,
        chat_id: str | None = None,
        persist: bool = True,
        session_metadata: dict[str, Any] | None = None,
        record: bool = True,
        may_continue: Callable[[Session], bool] | None = None,
    ) -> Iterator[AnswerEvent]:
        """Yields status, content pieces as the generator produces them, then done.
        ``record=False`` runs no hooks (no query log, no notification): trials such as the
        admins' playground. ``may_continue`` decides whether the caller may add to an existing
        ``session_id`` (NotFound otherwise, before anything is stored); an unknown id starts one.
        A session that names its model is answered by that model's generator (``chat_generator``;
        BadRequest, before anything is stored, when its provider is not configured)."""
        question = self.check_question(question)
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        generator = self.generator
        if persist:
            session = self._ensure_session(session_id, user_id, question, session_metadata, may_continue)
            session_id = session.id
            generator = (self.chat_generator and self.chat_generator(session)) or generator
        else:
            session_id = session_id or ""
        history = self._history(session_id, options) if persist and options.include_history else []

        yield AnswerEvent("status", {"stage": "retrieving"})
        t = time.perf_counter()
        qvec = self.embedder.embed_query(question)
        timings["embed_ms"] = (time.perf_counter() - t) * 1000
        served = self.serving.current if options.use_rag else None

        faq = self.faq.match(qvec) if (self.faq is not None and options.use_rag) else None
        citations: list[Citation] = []
        hits: list[SearchHit] = []
        stats = GenerationStats()
        if faq is not None:
            text = f'{faq.item.answer}\n\n(Answered from the FAQ: "{faq.item.question}")'
            citations = [
                Citation(
                    f"faq/{faq.item.id}",
                    f"faq/{faq.item.id}",
                    faq.item.question,
                    round(1.0 - faq.distance, 6),
                    "",
                    faq.item.answer[:300],
                )
            ]
            source: AnswerSource = "faq"
            stats.provider = "faq"
            yield AnswerEvent("content", {"text": text})
            pieces = [text]
        else:
            if served is not None:
                t = time.perf_counter()
                hits = self._retrieve(served.retriever, question, options, owner, chat_id)
                timings["retrieval_ms"] = (time.perf_counter() - t) * 1000
            relevant = self._relevant(hits, options) if options.use_rag else []
            citations = [Citation.from_hit(h) for h in relevant]
            if options.use_rag and not relevant:
                source = "no_context"
                pieces = [IDK]
                stats.provider = "none"
                yield AnswerEvent("content", {"text": IDK})
            else:
                source = "rag" if options.use_rag else "llm"
                yield AnswerEvent("status", {"stage": "generating", "citations": len(citations)})
                request = GenerationRequest(
                    question=question,
                    contexts=citations,
                    history=history,
                    system_prompt=None if options.use_rag else NO_RAG_PROMPT,
                )
                pieces = []
                t = time.perf_counter()
                for piece in generator.stream(request, stats):
                    if not pieces:
                        timings["first_token_ms"] = (time.perf_counter() - t) * 1000
                    pieces.append(piece)
                    yield AnswerEvent("content", {"text": piece})
                timings["generation_ms"] = (time.perf_counter() - t) * 1000
        answer_text = "".join(pieces).strip() or IDK
        # A generator that read the context and found no answer says so (prompt.I_DONT_KNOW):
        # that exchange is as unanswered as one with no context, for the queue and the admins.
        unanswered = source == "no_context" or (source == "rag" and says_it_does_not_know(answer_text))
        timings["total_ms"] = (time.perf_counter() - t0) * 1000
        answer = Answer(
            answer=answer_text,
            citations=citations,
            unanswered=unanswered,
            source=source,
            session_id=session_id,
            index_version=served.version.version if served else None,
            generator=stats.provider or getattr(generator, "name", ""),
            timings={k: round(v, 2) for k, v in timings.items()},
            tokens={"prompt": stats.prompt_tokens, "completion": stats.completion_tokens},
            faq_id=faq.item.id if faq else None,
            hits=hits,
        )
        if persist:
            answer.message_id = self._store(question, answer, user_id, stats)
        if record:
            self._run_hooks(
                self.on_answered + (self.on_unanswered if unanswered else []), question, answer, user_id
            )
        yield AnswerEvent("done", answer)

    def open_session(
        self,
        session_id: str,
        owner: str,
        title: str,
        metadata: dict[str, Any] | None,
        may_see: Callable[[Session], bool],
    ) -> Session:
        """The session ``session_id`` when the caller ``may_see`` it, created for ``owner`` when new.
        Raises NotFound for a session the caller may not see (never reveals that it exists)."""
        try:
            session = self.sessions.get_session(session_id)
        except NotFound:
            return self.sessions.create_session(
                owner, title=title[:80], metadata=metadata, session_id=session_id
            )
        if not may_see(session):
            raise NotFound("Session not found")
        return session

    def record_exchange(
        self,
        session: Session,
        question: str,
        response: str,
        *,
        user_id: str,
        question_metadata: dict[str, Any] | None = None,
    ) -> RecordedExchange:
        """Stores a question and the answer a client produced elsewhere (API 01's ``/mongodb/session``),
        classified by the same "I don't know" rule as the platform's own answers; an unanswered one
        runs the ``on_unanswered`` hooks (admin notifications), as ``stream`` does."""
        unanswered = bool(response) and says_it_does_not_know(response)
        asked = self.sessions.add_message(
            session.id,
            "user",
            question,
            {**(question_metadata or {}), "user_id": user_id, "unanswered": unanswered},
        )
        answered = None
        if response:
            answered = self.sessions.add_message(
                session.id,
                "assistant",
                response,
                {"source": "client", "unanswered": unanswered, "question": question, "user_id": user_id},
            )
        if unanswered:
            self._run_hooks(self.on_unanswered, question, self._client_answer(session.id, response), user_id)
        return RecordedExchange(session=session, question=asked, answer=answered, unanswered=unanswered)

    def latest_exchange(self, session_id: str) -> tuple[Message | None, Message | None]:
        """The session's last question and the answer to it (None where missing)."""
        question: Message | None = None
        answer: Message | None = None
        for m in self.sessions.list_messages(session_id):
            if m.role == "user":
                question, answer = m, None
            elif m.role == "assistant":
                answer = m
        return question, answer

    def replace_latest_answer(self, session_id: str, response: str, edited_at: str) -> None:
        """Replaces the answer of the session's latest exchange (adds one when the latest question has
        none), classified by the same "I don't know" rule."""
        question, answer = self.latest_exchange(session_id)
        meta: dict[str, Any] = {"unanswered": says_it_does_not_know(response), "edited_at": edited_at}
        if answer is not None:
            self.sessions.update_message(answer.id, content=response, metadata=meta)
        else:
            meta.update(source="client", question=question.content if question else "")
            self.sessions.add_message(session_id, "assistant", response, meta)

    @staticmethod
    def _client_answer(session_id: str, response: str) -> Answer:
        return Answer(
            answer=response,
            citations=[],
            unanswered=True,
            source="client",
            session_id=session_id,
            index_version=None,
            generator="client",
        )

    @staticmethod
    def _run_hooks(hooks: list[AnswerHook], question: str, answer: Answer, user_id: str) -> None:
        for hook in list(hooks):
            try:
                hook(question, answer, user_id)
            except Exception:  # a metrics or notification failure never fails the answer
                log.warning("answer hook %r failed", hook, exc_info=True)

    # -- steps ----------------------------------------------------------------

    def check_question(self, question: str) -> str:
        """The question stripped, within ANSWER__MAX_QUESTION_CHARS: the one place every dialect's
        question length is checked. Raises InvalidInput naming the field ``question``."""
        question = (question or "").strip()
        if not question:
            raise InvalidInput("question must not be empty", field="question", value="")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise InvalidInput(
                f"question is {len(question)} characters long; the limit is {limit}",
                field="question",
                value=len(question),
            )
        return question

    def _ensure_session(
        self,
        session_id: str | None,
        user_id: str,
        question: str,
        metadata: dict[str, Any] | None,
        may_continue: Callable[[Session], bool] | None,
    ) -> Session:
        if session_id:
            return self.open_session(
                session_id, user_id, question, metadata, may_continue or (lambda _: True)
            )
        return self.sessions.create_session(user_id, title=question[:80], metadata=metadata)

    def _history(self, session_id: str, options: AskOptions) -> list[tuple[str, str]]:
        messages = self.sessions.list_messages(session_id, limit=options.history_turns * 2)
        pairs: list[tuple[str, str]] = []
        pending: str | None = None
        for m in messages:
            if m.role == "user":
                pending = m.content
            elif m.role == "assistant" and pending is not None:
                pairs.append((pending, m.content))
                pending = None
        return pairs

    def _retrieve(
        self, retriever: Retriever, question: str, options: AskOptions, owner: str | None, chat_id: str | None
    ) -> list[SearchHit]:
        """Knowledge index plus the owner's documents (their knowledge base and this chat's uploads).
        The distance threshold is applied afterwards, by ``_relevant``, so keyword-only hits still count."""
        user = Retriever(self.embedder, self.index, USER_DOCUMENTS, retriever.defaults)
        result = MultiRetriever(retriever, user).search(
            question,
            owner=owner,
            chat_id=chat_id,
            mode=options.mode,
            top_k=options.top_k or self.settings.top_k,
            alpha=options.alpha,
            fusion=options.fusion,
        )
        return result.hits

    def relevance_cut(self, options: AskOptions) -> float:
        """The largest cosine distance a hit may have to be relevant: the caller's threshold, else
        ANSWER__RELEVANCE_MAX_DISTANCE. The one place the default is applied."""
        if options.distance_threshold is not None:
            return options.distance_threshold
        return self.settings.relevance_max_distance

    def _relevant(self, hits: list[SearchHit], options: AskOptions) -> list[SearchHit]:
        return relevant_hits(hits, self.relevance_cut(options))

    def _store(self, question: str, answer: Answer, user_id: str, stats: GenerationStats) -> str:
        self.sessions.add_message(
            answer.session_id, "user", question, {"user_id": user_id, "unanswered": answer.unanswered}
        )
        message = self.sessions.add_message(
            answer.session_id,
            "assistant",
            answer.answer,
            {
                "citations": [c.to_dict() for c in answer.citations],
                "unanswered": answer.unanswered,
                "source": answer.source,
                "index_version": answer.index_version,
                "generator": answer.generator,
                "fallbacks": stats.fallbacks,
                "timings": answer.timings,
                "tokens": answer.tokens,
                "latency_ms": answer.timings.get("total_ms", 0.0),
                "question": question,
                "user_id": user_id,
            },
        )
        return message.id
