"""``chat_agent``: answers a question from the promoted index through the answering path every
dialect uses, keeping the conversation in a session (private to a signed-in caller)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ragplatform.agents.base import AgentContext
from ragplatform.sessions.owners import may_see, session_metadata, session_owner


class ChatInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="What to ask the knowledge base.")
    session_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Continue this conversation (one of the caller's own); a new id starts one.",
    )


class ChatAgent:
    name = "chat_agent"
    description = (
        "Answers a question from the promoted index with citations, storing the exchange in a "
        "session (private to the caller) so the conversation can continue."
    )
    Input = ChatInput

    def run(self, params: ChatInput, context: AgentContext) -> dict[str, Any]:
        """Raises InvalidInput (empty or too long question), NotFound (a session the caller may not
        see, or no promoted index), BackendUnavailable."""
        answers = context.platform.answers
        question = answers.check_question(params.question)
        extra: dict[str, Any] = {"dialect": "api02", "agent": self.name}
        if context.metadata:
            extra["agent_metadata"] = context.metadata
        answer = answers.ask(
            question,
            user_id=session_owner(context.user_id),
            session_id=params.session_id,
            owner=context.user_id,
            session_metadata=session_metadata(context.user_id, extra),
            may_continue=lambda session: may_see(session, context.user_id, context.role),
        )
        return {
            "answer": answer.answer,
            **answer.outcome(),
            "generator": answer.generator,
        }
