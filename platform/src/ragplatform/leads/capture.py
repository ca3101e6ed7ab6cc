"""The assistant's side of lead capture: a visitor who writes their e-mail address in a chat, and
agreed to be contacted, becomes a lead tied to that chat.

Where it hooks in: ``AnswerService.on_answered``, the hook every dialect's answer already runs
after it is stored (API 01 ``/rag/chat``, 03, 04, 05, Socket.IO, ``chat_agent``), so no route and
no dialect changes. A message without an address costs one regular expression and nothing else.

How consent reaches the chat: a flag in the chat session's metadata, ``lead_consent: true``. A
client sets it with ``POST /api/leads/consent`` (the "you may contact me" box of a chat widget),
which also turns an address written earlier in that chat into a lead; a ``chat_agent`` call sets
it for the session it starts with ``"metadata": {"lead_consent": true}``. Without the flag an
address in a message is never stored as a lead.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ragplatform.leads.service import LeadService

if TYPE_CHECKING:
    from ragplatform.answering.service import Answer

log = logging.getLogger(__name__)


class LeadCapture:
    """An ``on_answered`` hook: (question, answer, user_id) → maybe a lead."""

    def __init__(self, leads: LeadService) -> None:
        self._leads = leads

    def __call__(self, question: str, answer: Answer, user_id: str) -> None:
        if not answer.session_id or "@" not in question:
            return
        lead = self._leads.capture_chat(answer.session_id, question)
        if lead is not None:
            log.info("lead %s captured from session %s", lead.id, answer.session_id)
