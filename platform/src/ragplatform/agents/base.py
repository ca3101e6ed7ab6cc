"""The agent contract: a name, a description, a pydantic ``Input`` model and ``run``.

``AgentRegistry`` is the explicit mapping from ``agent_type`` to agent: a new agent is one file
with one class, added to ``default_registry`` in ``invoke.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel

from ragplatform.errors import BadAgentRequest, Conflict

if TYPE_CHECKING:
    from ragplatform.answering.service import AnswerService
    from ragplatform.answering.serving import ServingIndex
    from ragplatform.content.base import ContentStore
    from ragplatform.documents.service import DocumentService
    from ragplatform.leads.service import LeadService
    from ragplatform.sessions.base import SessionStore

InputT = TypeVar("InputT", bound=BaseModel)


class AgentPlatform(Protocol):
    """The services agents work through (``ragplatform.factory.Platform`` provides them)."""

    @property
    def answers(self) -> AnswerService: ...
    @property
    def documents(self) -> DocumentService: ...
    @property
    def sessions(self) -> SessionStore: ...
    @property
    def serving(self) -> ServingIndex: ...
    @property
    def content(self) -> ContentStore: ...
    @property
    def leads(self) -> LeadService: ...


@dataclass(frozen=True)
class AgentContext:
    """Who invokes an agent and with what: ``user_id`` is the signed-in account (None for an
    anonymous caller), ``role`` ``user``, ``admin`` or ``anonymous``; ``metadata`` is the caller's
    correlation data, kept with what the agent stores."""

    platform: AgentPlatform
    user_id: str | None = None
    role: str = "anonymous"
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class Agent(Protocol[InputT]):
    """One capability. ``run`` receives input already validated by ``Input`` and returns the JSON
    result. It raises the platform's errors: InvalidInput (the caller's input is wrong beyond what
    the model checks), NotFound (a session or document the caller may not see), BackendUnavailable."""

    name: str
    description: str
    Input: type[InputT]

    def run(self, params: InputT, context: AgentContext) -> dict[str, Any]: ...


class AgentRegistry:
    """The agents a platform offers, by name, in registration order."""

    def __init__(self, agents: Iterable[Agent[Any]] = ()) -> None:
        self._agents: dict[str, Agent[Any]] = {}
        for agent in agents:
            self.register(agent)

    def register(self, agent: Agent[Any]) -> None:
        """Adds ``agent``. Raises Conflict when its name is taken."""
        if agent.name in self._agents:
            raise Conflict(f"an agent named {agent.name!r} is registered already")
        self._agents[agent.name] = agent

    def get(self, name: str) -> Agent[Any]:
        """The agent called ``name``. Raises BadAgentRequest naming the known agents."""
        agent = self._agents.get(name)
        if agent is None:
            known = ", ".join(self._agents)
            what = f"unknown agent_type {name!r}" if name else "agent_type is required"
            raise BadAgentRequest(f"{what}; known agents: {known}", field="agent_type", value=name)
        return agent

    def names(self) -> list[str]:
        return list(self._agents)

    def __iter__(self) -> Iterator[Agent[Any]]:
        return iter(self._agents.values())

    def __len__(self) -> int:
        return len(self._agents)
