"""``POST /api/agents/invoke`` and ``GET /api/agents`` (API 02, "Agents"): one call to
``platform.agents`` (``ragplatform/agents``), shaped as the document shows."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ragplatform.errors import BadAgentRequest, InvalidInput, NotFound, PermissionDenied, RagPlatformError
from ragserve.agents.schemas import (
    AgentErrorPublic,
    AgentInvokeCreate,
    AgentPublic,
    AgentRunPublic,
    AgentsPublic,
)
from ragserve.auth import CurrentUser
from ragserve.deps import PlatformDep

router = APIRouter(prefix="/api/agents", tags=["agents (API 02)"])

INVOKE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": AgentErrorPublic, "description": "unknown agent_type, or input its agent refuses"},
    401: {"description": "no or an invalid bearer token"},
    403: {"model": AgentErrorPublic, "description": "an agent for admins only (faq_agent), called by a user"},
    404: {
        "model": AgentErrorPublic,
        "description": "a session or document the caller may not see (or none such), or no promoted index",
    },
}


def agent_error(
    status: int, code: Literal["BAD_REQUEST", "FORBIDDEN", "NOT_FOUND"], exc: RagPlatformError
) -> JSONResponse:
    field = exc.field if isinstance(exc, InvalidInput) else None
    body = AgentErrorPublic(error=exc.message, code=code, detail=exc.message, field=field)
    return JSONResponse(body.model_dump(), status_code=status)


@router.post(
    "/invoke",
    response_model=AgentRunPublic,
    responses=INVOKE_ERRORS,
    summary="Invoke one agent",
    description=(
        "Runs `agent_type` on `input` (validated against the agent's input schema, listed by "
        "`GET /api/agents`) for the caller and answers with `status` `completed` and the `result`, or "
        "`failed` and an `error` when a provider or engine it needs cannot be reached. A bearer token "
        "is required (the document's \"Auth: Bearer JWT\"): the token's user is the caller, sessions "
        "the agents create are private to them, and `user_id` in the body is only recorded (as "
        "`end_user_id` in the run's metadata). An unknown `agent_type` or refused `input` answers 400 "
        '`{"error", "code": "BAD_REQUEST", "detail", "field"}`; a session or document the caller may '
        "not see answers 404 with `code` `NOT_FOUND`, exactly as if it did not exist. Agents: "
        "`chat_agent` (`question`, `session_id`?), `search_agent` (`query`, `top_k` 1..100, `mode`?), "
        "`summary_agent` (exactly one of `text`, `session_id`, `document_id`), `lead_agent` (exactly one of "
        "`lead_id`, `query`, `lead`; see `GET /api/agents`), `faq_agent` (admins only, else 403 "
        "`FORBIDDEN`: `limit`, `min_count`, `days`, or `accept`)."
    ),
)
def invoke(
    body: AgentInvokeCreate, platform: PlatformDep, user: CurrentUser
) -> AgentRunPublic | JSONResponse:
    metadata = dict(body.metadata or {})
    if body.user_id:
        metadata["end_user_id"] = body.user_id
    try:
        run = platform.agents.invoke(body.agent_type, body.input, user, metadata)
    except BadAgentRequest as exc:
        return agent_error(400, "BAD_REQUEST", exc)
    except PermissionDenied as exc:
        return agent_error(403, "FORBIDDEN", exc)
    except NotFound as exc:
        return agent_error(404, "NOT_FOUND", exc)
    return AgentRunPublic(request_id=run.request_id, status=run.status, result=run.result, error=run.error)


@router.get(
    "",
    response_model=AgentsPublic,
    summary="The agents POST /api/agents/invoke runs, with the JSON schema of each one's input",
    description="Open to anyone: it lists capabilities, no data.",
)
def list_agents(platform: PlatformDep) -> AgentsPublic:
    agents = [
        AgentPublic(name=a.name, description=a.description, input_schema=a.input_schema)
        for a in platform.agents.describe()
    ]
    return AgentsPublic(data=agents, count=len(agents))
