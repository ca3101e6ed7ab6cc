"""``AgentService``: validates an invocation against its agent's input model, runs it, and reports
the run as API 02 shapes it (``request_id``, ``status``, ``result``, ``error``)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from ragplatform.agents.base import Agent, AgentContext, AgentPlatform, AgentRegistry
from ragplatform.agents.chat import ChatAgent
from ragplatform.agents.faq import FaqAgent
from ragplatform.agents.lead import LeadAgent
from ragplatform.agents.search import SearchAgent
from ragplatform.agents.summary import SummaryAgent
from ragplatform.content.base import User
from ragplatform.errors import BackendUnavailable, BadAgentRequest, InvalidInput

log = logging.getLogger(__name__)

RunStatus = Literal["queued", "running", "completed", "failed"]


def default_registry() -> AgentRegistry:
    """The agents every platform offers."""
    return AgentRegistry([ChatAgent(), SearchAgent(), SummaryAgent(), LeadAgent(), FaqAgent()])


@dataclass(frozen=True)
class AgentRun:
    """One invocation: ``result`` when completed, ``error`` (a sentence for a person) when failed."""

    request_id: str
    agent_type: str
    status: RunStatus
    result: dict[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class AgentInfo:
    name: str
    description: str
    input_schema: dict[str, Any]


class AgentService:
    def __init__(self, platform: AgentPlatform, registry: AgentRegistry | None = None) -> None:
        self.platform = platform
        self.registry = registry if registry is not None else default_registry()

    def describe(self) -> list[AgentInfo]:
        """Every registered agent with the JSON schema of its input."""
        return [AgentInfo(a.name, a.description, a.Input.model_json_schema()) for a in self.registry]

    def invoke(
        self,
        agent_type: str,
        raw_input: dict[str, Any],
        user: User | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> AgentRun:
        """Runs ``agent_type`` on ``raw_input`` for ``user`` (None: anonymous).

        A provider or engine that cannot be reached makes a ``failed`` run, not an exception.
        Raises BadAgentRequest (unknown agent, input the agent refuses), NotFound (a session,
        document or lead the caller may not see; no promoted index), PermissionDenied (an agent
        for admins only, such as ``faq_agent``).
        """
        agent = self.registry.get(agent_type)
        params = validate_input(agent, raw_input)
        context = AgentContext(
            platform=self.platform,
            user_id=user.id if user else None,
            role=user.role if user else "anonymous",
            metadata=dict(metadata or {}),
        )
        request_id = str(uuid.uuid4())
        try:
            result = agent.run(params, context)
        except BadAgentRequest:
            raise
        except InvalidInput as exc:
            where = f"input.{exc.field}" if exc.field else "input"
            raise BadAgentRequest(exc.message, field=where, value=exc.value) from exc
        except BackendUnavailable as exc:
            log.warning("agent %s (request %s) failed: %s", agent_type, request_id, exc.message)
            return AgentRun(request_id, agent_type, "failed", error=exc.message)
        return AgentRun(request_id, agent_type, "completed", result=result)


def validate_input(agent: Agent[Any], raw_input: dict[str, Any]) -> BaseModel:
    """``raw_input`` as the agent's ``Input``. Raises BadAgentRequest naming each bad field."""
    try:
        params: BaseModel = agent.Input.model_validate(raw_input)
    except ValidationError as exc:
        problems = [
            f"input.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" if e["loc"] else f"input: {e['msg']}"
            for e in exc.errors(include_url=False)
        ]
        first = exc.errors()[0] if exc.errors() else None
        field = "input." + ".".join(str(p) for p in first["loc"]) if first and first["loc"] else "input"
        raise BadAgentRequest(
            f"invalid input for {agent.name}: {'; '.join(problems)}",
            field=field,
            value=first.get("input") if first else None,
        ) from None
    return params
