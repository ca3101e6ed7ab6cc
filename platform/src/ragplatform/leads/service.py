"""``LeadService``: creates leads (the form, the chat), qualifies them, and scopes who reads them.

- **Creation** stores or merges by e-mail address (``LeadStore.submit``), publishes
  ``lead_created`` on the analytics channel for a new lead, and qualifies it at once with the rules
  (fast, offline), so a lead is never left without a score. ``qualify`` and ``qualify_pending``
  are what ``lead_agent`` and the ``qualify_leads`` workflow call to (re)qualify, with the configured
  LLM when there is one (``LEADS__USE_LLM``).
- **Qualifying** stores the analysis, publishes ``lead_analyzed``, and when a ``new`` lead reaches
  ``LEADS__QUALIFIED_SCORE`` it becomes ``qualified`` and every admin is notified (once: later
  qualifications of the same lead notify no one).
- **Reading**: an admin reads every lead; a signed-in account the leads that came through it; anyone
  else none. A lead the reader may not see is ``NotFound``, exactly as one that does not exist.
  A submitter whose e-mail address merged into a lead they may not read gets back only what they
  sent, qualified on its own, so the form never discloses another submission.
- **Events** carry the lead's account as owner (None for an anonymous visitor: admins only).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from ragplatform.content.base import ContentStore
from ragplatform.errors import InvalidInput, NotFound, PermissionDenied
from ragplatform.events import EventBus, PlatformEvent
from ragplatform.generation.base import Generator
from ragplatform.generation.extractive import STOPWORDS
from ragplatform.leads.base import (
    MAX_MESSAGE,
    Conversation,
    Lead,
    LeadAnalysis,
    LeadStatus,
    Qualification,
    Submission,
    check_status,
    emails_in,
)
from ragplatform.leads.qualify import next_step, qualify, rules
from ragplatform.leads.store import ALL, Analysed, LeadPage, LeadStore, Prospect
from ragplatform.notifications.store import NotificationStore
from ragplatform.sessions.base import SessionStore
from ragplatform.sessions.owners import is_open_owner, may_see
from ragplatform.settings import LeadSettings

log = logging.getLogger(__name__)

NOTIFICATION_TYPE = "lead_qualified"
CONSENT_FLAG = "lead_consent"  # session metadata: the visitor agreed to be contacted
MAX_CONVERSATION = 100  # messages of a chat read to qualify its lead
MAX_TERMS = 10
# Words of a prospect query that say what to do, not what to look for ("Find top prospects in SaaS").
QUERY_WORDS = frozenset({
    "find", "search", "show", "list", "give", "get", "rank", "top", "best", "hot", "good", "great",
    "prospect", "prospects", "lead", "leads", "qualified", "potential", "customer", "customers",
    "client", "clients", "account", "accounts", "all", "any", "us", "sales", "new", "high", "most",
    "likely", "promising", "like", "similar", "matching", "interested", "companies", "company",
})  # fmt: skip


@dataclass(frozen=True)
class Viewer:
    """Who reads: an admin reads every lead, an account its own, an anonymous caller none."""

    user_id: str | None = None
    is_admin: bool = False

    @property
    def owner(self) -> str | None:
        """The ``owner`` filter of the store: ALL for an admin, "" (no lead's) for an anonymous caller."""
        return ALL if self.is_admin else (self.user_id or "")

    def may_read(self, lead: Lead) -> bool:
        return self.is_admin or (self.user_id is not None and lead.user_id == self.user_id)


SYSTEM = Viewer(is_admin=True)  # workflows and hooks


@dataclass(frozen=True)
class Receipt:
    """What a submitter is shown: the stored lead and its qualification, or (when the address
    merged into a lead they may not read) what they sent, qualified on its own."""

    lead: Lead
    analysis: LeadAnalysis
    created: bool


@dataclass(frozen=True)
class RankedProspect:
    lead: Lead
    matched: int
    analysis: LeadAnalysis | None


@dataclass(frozen=True)
class ChatConsent:
    session_id: str
    consent: bool
    lead: Lead | None  # the lead captured from the chat's messages, when one had an address


class LeadService:
    def __init__(
        self,
        store: LeadStore,
        sessions: SessionStore,
        content: ContentStore,
        notifications: NotificationStore,
        events: EventBus,
        settings: LeadSettings,
        generator: Callable[[], Generator],
    ) -> None:
        self.store = store
        self.sessions = sessions
        self.content = content
        self.notifications = notifications
        self.events = events
        self.settings = settings
        self._generator = generator
        # run with each new lead, after the rules scored it (the factory queues the LLM's
        # qualification here as a ``qualify_leads`` workflow when an LLM is configured)
        self.on_created: list[Callable[[Lead], None]] = []

    # -- creation ---------------------------------------------------------------------------------

    def submit(self, submission: Submission, viewer: Viewer, session_id: str | None = None) -> Receipt:
        """Stores (or merges) a lead that gave its consent and qualifies it by the rules.
        Raises InvalidInput (no consent, a bad address, a field over its limit), BackendUnavailable."""
        checked = submission.checked()
        if not checked.consent:
            raise InvalidInput(
                "consent must be true: contact details are stored only when the person agrees to be contacted",
                field="consent",
                value=False,
            )
        stored = self.store.submit(checked, user_id=viewer.user_id, session_id=session_id)
        if stored.created:
            self._publish_created(stored.lead)
        analysed = self._qualify(stored.lead, use_llm=False)
        if stored.created:
            self._created(analysed.lead)
        if stored.created or viewer.may_read(analysed.lead):
            return Receipt(analysed.lead, analysed.analysis, stored.created)
        return self._echo(checked, viewer, analysed)

    def capture_chat(self, session_id: str, text: str) -> Lead | None:
        """A lead from the first e-mail address in a chat message of a session whose visitor agreed
        to be contacted (``chat_consent``); None when the text holds no address or there is no
        consent. The lead belongs to the session's account (none for an open-dialect visitor).
        Raises NotFound (no such session), BackendUnavailable."""
        found = emails_in(text)
        if not found:
            return None
        session = self.sessions.get_session(session_id)
        if not chat_consent(session.metadata):
            log.debug("an e-mail address in session %s, but no consent: no lead", session_id)
            return None
        checked = Submission(
            found[0],
            message=text.strip()[-MAX_MESSAGE:],  # a long chat message: its end, where the address is
            consent=True,
            source="chat",
            metadata={"captured_from": "chat"},
        ).checked()
        account = None if is_open_owner(session.user_id) else session.user_id
        stored = self.store.submit(checked, user_id=account, session_id=session_id)
        if stored.created:
            self._publish_created(stored.lead)
        lead = self._qualify(stored.lead, use_llm=False).lead
        if stored.created:
            self._created(lead)
        return lead

    def set_chat_consent(self, session_id: str, consent: bool, viewer: Viewer) -> ChatConsent:
        """Records whether the visitor of ``session_id`` agreed to be contacted; with consent, an
        address they wrote earlier in the chat becomes a lead now (the newest one written).
        Raises NotFound (a session the caller may not see, or none), BackendUnavailable."""
        try:
            session = self.sessions.get_session(session_id)
        except NotFound:
            raise NotFound("Session not found") from None
        if not may_see(session, viewer.user_id, "admin" if viewer.is_admin else None):
            raise NotFound("Session not found")
        self.sessions.update_session(session_id, metadata={CONSENT_FLAG: consent})
        lead = None
        if consent:
            for message in reversed(self.sessions.list_messages(session_id, limit=MAX_CONVERSATION)):
                if message.role == "user" and emails_in(message.content):
                    lead = self.capture_chat(session_id, message.content)
                    break
        return ChatConsent(session_id, consent, lead)

    # -- qualification ----------------------------------------------------------------------------

    def qualify(self, lead_id: str, viewer: Viewer = SYSTEM, use_llm: bool | None = None) -> Analysed:
        """Qualifies a stored lead (with the LLM when configured, unless ``use_llm`` is False) and
        stores the analysis. Raises NotFound (no such lead for ``viewer``), BackendUnavailable."""
        lead = self.store.get(lead_id, viewer.owner)
        return self._qualify(lead, self.settings.use_llm if use_llm is None else use_llm)

    def unqualified_ids(self, limit: int = 1000) -> list[str]:
        """Ids of the leads with no qualification yet, oldest first (a creation whose qualification
        failed; the ``qualify_leads`` workflow's default). Raises InvalidInput (limit)."""
        return [lead.id for lead in self.store.unqualified(limit)]

    def qualify_pending(self, limit: int = 100, use_llm: bool | None = None) -> list[Analysed]:
        """Qualifies the leads that have no qualification yet, oldest first (the ``qualify_leads``
        workflow's step). Raises InvalidInput (limit), BackendUnavailable."""
        return [self.qualify(lead.id, use_llm=use_llm) for lead in self.store.unqualified(limit)]

    def preview(self, submission: Submission, use_llm: bool | None = None) -> Qualification:
        """A qualification of details that are not stored (nothing is written, no event).
        Raises InvalidInput (a bad address, a field over its limit)."""
        use = self.settings.use_llm if use_llm is None else use_llm
        generator = self._generator() if use else None
        return qualify(
            submission.checked(), generator=generator, qualified_score=self.settings.qualified_score
        )

    def conversation(self, session_id: str | None) -> Conversation:
        """The visitor's questions in ``session_id`` and how many were answered (empty without one)."""
        if not session_id:
            return Conversation()
        try:
            messages = self.sessions.list_messages(session_id, limit=MAX_CONVERSATION)
        except NotFound:
            return Conversation()
        answers = [m for m in messages if m.role == "assistant"]
        unanswered = sum(1 for m in answers if m.metadata.get("unanswered") is True)
        questions = tuple(m.content for m in messages if m.role == "user" and m.content.strip())
        return Conversation(questions, len(answers) - unanswered, unanswered)

    # -- reading ----------------------------------------------------------------------------------

    def get(self, lead_id: str, viewer: Viewer) -> tuple[Lead, LeadAnalysis | None]:
        """The lead with its newest qualification. Raises NotFound (none such for ``viewer``)."""
        lead = self.store.get(lead_id, viewer.owner)
        return lead, self.store.latest_analyses([lead.id]).get(lead.id)

    def page(
        self,
        viewer: Viewer,
        *,
        status: LeadStatus | None = None,
        min_score: int | None = None,
        skip: int = 0,
        limit: int = 50,
    ) -> tuple[LeadPage, dict[str, LeadAnalysis]]:
        """The leads ``viewer`` reads, newest first, with each one's newest qualification.
        Raises InvalidInput (paging, a bad status or score), BackendUnavailable."""
        if status is not None:
            check_status(status)
        if min_score is not None and not 0 <= min_score <= 100:
            raise InvalidInput(
                f"min_score must be between 0 and 100, got {min_score}", field="min_score", value=min_score
            )
        page = self.store.page(viewer.owner, status=status, min_score=min_score, skip=skip, limit=limit)
        return page, self.store.latest_analyses([lead.id for lead in page.items])

    def analyses(self, lead_id: str, viewer: Viewer, limit: int = 50) -> list[LeadAnalysis]:
        """Every qualification of the lead, newest first. Raises NotFound, InvalidInput (limit)."""
        lead = self.store.get(lead_id, viewer.owner)
        return self.store.analyses(lead.id, limit)

    def set_status(self, lead_id: str, status: str, viewer: Viewer) -> tuple[Lead, LeadAnalysis | None]:
        """The lead with its new status and its newest qualification. Raises PermissionDenied (not
        an admin), NotFound, InvalidInput (unknown status)."""
        if not viewer.is_admin:
            raise PermissionDenied("changing a lead's status needs an admin account")
        lead = self.store.set_status(lead_id, check_status(status))
        return lead, self.store.latest_analyses([lead.id]).get(lead.id)

    def prospects(
        self, query: str, viewer: Viewer, limit: int = 10
    ) -> tuple[list[str], list[RankedProspect]]:
        """The leads ``viewer`` reads that best match ``query`` (its content words against a lead's
        name, company, message and address), best scored first among equal matches; with no
        content word, the best scored. Returns the terms used and the prospects."""
        terms = query_terms(query)
        found: list[Prospect] = self.store.search(terms, viewer.owner, limit)
        latest = self.store.latest_analyses([p.lead.id for p in found])
        return terms, [RankedProspect(p.lead, p.matched, latest.get(p.lead.id)) for p in found]

    # -- helpers ----------------------------------------------------------------------------------

    def _qualify(self, lead: Lead, use_llm: bool) -> Analysed:
        submission = Submission(lead.email, lead.name, lead.company, lead.message, lead.consent, lead.source)
        result = qualify(
            submission,
            self.conversation(lead.session_id),
            generator=self._generator() if use_llm else None,
            qualified_score=self.settings.qualified_score,
        )
        analysed = self.store.add_analysis(lead.id, result, self.settings.qualified_score)
        self.events.publish(
            PlatformEvent(
                channel="analytics",
                type="lead_analyzed",
                data={
                    "lead_id": lead.id,
                    "user_id": lead.user_id,
                    "analysis_id": analysed.analysis.id,
                    "completed_at": analysed.analysis.created_at.isoformat(),
                },
                owner=lead.user_id,
            )
        )
        if analysed.became_qualified:
            self._notify_admins(analysed)
        return replace(analysed, note=result.note)

    def _created(self, lead: Lead) -> None:
        for hook in list(self.on_created):
            try:
                hook(lead)
            except Exception:  # a hook never fails the submission it follows
                log.warning("a new-lead hook failed for lead %s", lead.id, exc_info=True)

    def _publish_created(self, lead: Lead) -> None:
        self.events.publish(
            PlatformEvent(
                channel="analytics",
                type="lead_created",
                data={"lead_id": lead.id, "user_id": lead.user_id, "created_at": lead.created_at.isoformat()},
                owner=lead.user_id,
            )
        )

    def _notify_admins(self, analysed: Analysed) -> None:
        lead, analysis = analysed.lead, analysed.analysis
        who = lead.name or lead.email
        if lead.company:
            who = f"{who} ({lead.company})"
        self.notifications.create_many(
            self.content.user_ids_with_role("admin"),
            NOTIFICATION_TYPE,
            f"Qualified lead: {who}"[:200],
            f"Score {analysis.score}, intent {analysis.intent}; next step: {analysis.next_step}.",
            severity="success",
            metadata={
                "lead_id": lead.id,
                "analysis_id": analysis.id,
                "score": analysis.score,
                "intent": analysis.intent,
                "next_step": analysis.next_step,
                "method": analysis.method,
            },
            action_url=f"/api/leads/{lead.id}",
        )

    def _echo(self, submission: Submission, viewer: Viewer, analysed: Analysed) -> Receipt:
        """What a submitter who may not read the merged lead is shown: their own details, qualified
        by the rules on their own, under the lead's id."""
        own = rules(submission, qualified_score=self.settings.qualified_score)
        now = datetime.now(UTC)
        status: LeadStatus = "qualified" if own.score >= self.settings.qualified_score else "new"
        lead = Lead(
            id=analysed.lead.id,
            email=submission.email,
            name=submission.name,
            company=submission.company,
            message=submission.message,
            source=submission.source,
            consent=submission.consent,
            user_id=viewer.user_id,
            status=status,
            score=own.score,
            created_at=now,
            updated_at=now,
        )
        analysis = LeadAnalysis(
            id=analysed.analysis.id,
            lead_id=lead.id,
            score=own.score,
            intent=own.intent,
            next_step=next_step(own.intent, own.score, self.settings.qualified_score),
            reasons=list(own.reasons),
            method=own.method,
            created_at=now,
        )
        return Receipt(lead, analysis, created=True)


def chat_consent(metadata: dict[str, Any]) -> bool:
    """Whether a chat session's visitor agreed to be contacted: ``lead_consent`` in the session's
    metadata (``POST /api/leads/consent``), or in the ``metadata`` of the ``chat_agent`` call that
    started it (kept as ``agent_metadata``)."""
    agent = metadata.get("agent_metadata")
    return metadata.get(CONSENT_FLAG) is True or (isinstance(agent, dict) and agent.get(CONSENT_FLAG) is True)


def query_terms(query: str) -> list[str]:
    """The content words of a prospect query, each cut to a stem that also matches its plural
    (``fintechs`` → ``fintech``): what ``LeadStore.search`` looks for."""
    terms: list[str] = []
    for word in "".join(c if c.isalnum() else " " for c in query.lower()).split():
        if word in STOPWORDS or word in QUERY_WORDS or len(word) < 2:
            continue
        stem = word[:-3] + "y" if len(word) > 4 and word.endswith("ies") else word
        stem = stem[:-1] if len(stem) > 4 and stem.endswith("s") and not stem.endswith("ss") else stem
        stem = stem[:-1] if stem.endswith("y") and len(stem) > 4 else stem  # company ~ companies
        if stem not in terms:
            terms.append(stem)
    return terms[:MAX_TERMS]
