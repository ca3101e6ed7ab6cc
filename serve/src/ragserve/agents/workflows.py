"""Workflows (API 02): ``POST /api/agents/workflows/execute``, polling a run, listing runs and
workflows, and ``WS /api/ws/workflows``.

A run executes on the task queue (``async: true``: the answer is ``queued`` at once) or in the
request (``async`` false, the document's default: the answer is the finished run). Either way its
status, step and progress are stored and published as ``workflow_status_update`` on
``/api/ws/workflows`` (topic ``workflow_run:<id>``, and the owner's ``user:<id>``), and its user is
notified when it ends. A user sees only their own runs (another's is 404, or ``INVALID_TOPIC`` on
the socket); an admin sees all.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, WebSocket
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ragplatform.errors import BadAgentRequest, NotFound
from ragplatform.workflows.runs import WorkflowRun, status_event
from ragserve.agents.channels import Channel, ChannelConnection, TopicRefused, own_user_topic, serve_channel
from ragserve.agents.invoke import agent_error
from ragserve.agents.schemas import (
    AgentErrorPublic,
    WorkflowExecuteCreate,
    WorkflowPublic,
    WorkflowRunDetailPublic,
    WorkflowRunPublic,
    WorkflowRunsPublic,
    WorkflowsPublic,
    WorkflowStepPublic,
)
from ragserve.auth import CurrentUser
from ragserve.deps import PlatformDep
from ragserve.params import Limit, Offset

router = APIRouter(prefix="/api/agents/workflows", tags=["workflows (API 02)"])
socket_router = APIRouter(tags=["realtime channels (API 02)"])

RUN_ID = Annotated[str, Path(max_length=64, description="a workflow_run_id")]
ERRORS: dict[int | str, dict[str, Any]] = {401: {"description": "no or an invalid bearer token"}}
EXECUTE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    400: {
        "model": AgentErrorPublic,
        "description": "unknown workflow_id, inputs it refuses, unknown user_id",
    },
    403: {"description": "an admin-only workflow, or user_id naming another account, for a non-admin"},
}


def public(run: WorkflowRun) -> WorkflowRunPublic:
    return WorkflowRunPublic(
        workflow_run_id=run.id, **run.model_dump(exclude={"id", "steps", "inputs", "job_id"})
    )


def detail(run: WorkflowRun) -> WorkflowRunDetailPublic:
    return WorkflowRunDetailPublic(
        workflow_run_id=run.id, **run.model_dump(exclude={"id", "job_id", "steps"}),
        steps=[WorkflowStepPublic.model_validate(s.model_dump()) for s in run.steps],
    )  # fmt: skip


@router.post(
    "/execute",
    response_model=WorkflowRunPublic,
    responses=EXECUTE_ERRORS,
    summary="Execute a workflow",
    description=(
        "Starts `workflow_id` with `inputs` (validated against its schema, listed by "
        "`GET /api/agents/workflows`). With `async: true` the answer comes at once with status "
        "`queued`; follow the run by polling `GET /api/agents/workflows/runs/{workflow_run_id}` or on "
        "`/api/ws/workflows` (topic `workflow_run:<id>`). Otherwise the answer is the finished run: "
        "`completed` with `outputs`, or `failed` with `error`. Built-ins: `rebuild_index`, "
        "`evaluate_index` and `qualify_leads` (admins), `ingest_documents` (any signed-in user). "
        'Bad input answers 400 `{"error", "code": "BAD_REQUEST", "detail", "field"}`.'
    ),
)
def execute(
    body: WorkflowExecuteCreate, platform: PlatformDep, user: CurrentUser
) -> WorkflowRunPublic | JSONResponse:
    try:
        run = platform.workflows.start(
            body.workflow_id, body.inputs, user, user_id=body.user_id, run_async=body.run_async
        )
    except BadAgentRequest as exc:
        return agent_error(400, "BAD_REQUEST", exc)
    return public(run)


@router.get(
    "", response_model=WorkflowsPublic, summary="The workflows, with the JSON schema of each one's inputs"
)
def list_workflows(platform: PlatformDep) -> WorkflowsPublic:
    workflows = [WorkflowPublic.model_validate(w) for w in platform.workflows.describe()]
    return WorkflowsPublic(data=workflows, count=len(workflows))


@router.get(
    "/runs",
    response_model=WorkflowRunsPublic,
    responses=ERRORS,
    summary="Workflow runs, newest first: the caller's (an admin: everyone's)",
)
def list_runs(
    platform: PlatformDep,
    user: CurrentUser,
    limit: Limit = 50,
    offset: Offset = 0,
    workflow_id: Annotated[str | None, Query(max_length=100)] = None,
) -> WorkflowRunsPublic:
    runs, total = platform.workflows.list(user, workflow_id=workflow_id, limit=limit, offset=offset)
    return WorkflowRunsPublic(data=[public(r) for r in runs], count=total)


@router.get(
    "/runs/{run_id}",
    response_model=WorkflowRunDetailPublic,
    responses={**ERRORS, 404: {"description": "no such run for the caller"}},
    summary="One run with its steps (the polling endpoint)",
)
def get_run(run_id: RUN_ID, platform: PlatformDep, user: CurrentUser) -> WorkflowRunDetailPublic:
    return detail(platform.workflows.get(run_id, user))


# -- the channel -----------------------------------------------------------------------------------


class WorkflowsChannel(Channel):
    """``user:<id>`` (own runs from the start; any user's for an admin) and ``workflow_run:<id>``
    (a run of the caller's; any for an admin), which also sends the run's current state at once."""

    name = "workflows"
    topics_help = "workflow_run:<id> or user:<id>"

    async def key_for(self, connection: ChannelConnection, topic: str, params: dict[str, Any]) -> str:
        if topic.startswith("user:"):
            return f"{self.name}:{own_user_topic(connection.user, topic)}"
        if topic.startswith("workflow_run:"):
            run_id = topic.removeprefix("workflow_run:")
            try:
                await run_in_threadpool(connection.platform.workflows.get, run_id, connection.user)
            except NotFound:
                raise TopicRefused(f"no workflow run {run_id[:60]!r} of yours") from None
            return f"{self.name}:{topic}"
        raise TopicRefused(f"unknown topic {topic[:60]!r}; topics of this channel: {self.topics_help}")

    async def subscribed(self, connection: ChannelConnection, topic: str, params: dict[str, Any]) -> None:
        if topic.startswith("workflow_run:"):
            run = await run_in_threadpool(
                connection.platform.workflows.get, topic.removeprefix("workflow_run:"), connection.user
            )
            for message in await self.render(connection, status_event(run)):
                await connection.send(message)


@socket_router.websocket("/api/ws/workflows")
async def workflows_socket(websocket: WebSocket) -> None:
    """Workflow runs' status updates; the protocol is in ``ragserve.agents.channels``."""
    await serve_channel(websocket, WorkflowsChannel())
