"""``POST /api/v1/aisuite/chat`` (API 05's AI Suite): a chat completion from the model named
``provider:model``, in OpenAI's shape, through the platform's provider mapping
(``ragplatform/generation/providers.py``; ``completion.py`` holds the limits).

Status codes, as the document lists them: 400 for an invalid body (with the field), a malformed
model, an unknown provider or one that is not configured (the ``detail`` names the setting to add);
503 when a configured provider cannot be reached or refuses to answer.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute

from ragplatform.errors import BackendUnavailable, BadRequest
from ragplatform.generation.completion import Completion, start_completion
from ragserve.auth import CurrentUser
from ragserve.deps import PlatformDep
from ragserve.v1.schemas import (
    ChatCompletionChoicePublic,
    ChatCompletionCreate,
    ChatCompletionMessagePublic,
    ChatCompletionPublic,
    ChatCompletionUsagePublic,
)


class BadRequestRoute(APIRoute):
    """Answers an invalid body 400 with the field (API 05's table), instead of FastAPI's 422."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise BadRequest(f"{where}: {first['msg']}", field=where) from None

        return run


router = APIRouter(prefix="/api/v1/aisuite", tags=["v1 aisuite"], route_class=BadRequestRoute)

RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/event-stream": {}},
        "description": "a `chat.completion`; with `stream: true`, Server-Sent Events of "
        "`chat.completion.chunk` objects ending with `data: [DONE]` (an `error` object instead when "
        "the provider fails mid-answer)",
    },
    400: {"description": "an invalid body, an unknown provider, or one not configured (names the setting)"},
    401: {"description": "no valid token"},
    413: {"description": "a body over SERVE__MAX_REQUEST_BYTES (the guard before every route)"},
    422: {
        "description": "only a JSON value the guard before every route refuses (NaN, Infinity, a "
        "NUL character, a lone surrogate); every other invalid body is a 400"
    },
    503: {"description": "the provider cannot be reached or refuses to answer"},
}


def _chunk(ident: str, created: int, model: str, delta: dict[str, str], finish: str | None) -> str:
    body = {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n"


def _events(completion: Completion, ident: str, created: int) -> Iterator[str]:
    model = completion.model
    yield _chunk(ident, created, model, {"role": "assistant"}, None)
    try:
        for piece in completion.pieces:
            yield _chunk(ident, created, model, {"content": piece}, None)
    except BackendUnavailable as exc:
        yield f"data: {json.dumps({'error': {'message': exc.message, 'type': 'backend_unavailable'}})}\n\n"
        return
    yield _chunk(ident, created, model, {}, "stop")
    yield "data: [DONE]\n\n"


@router.post(
    "/chat",
    response_model=ChatCompletionPublic,
    responses=RESPONSES,
    summary="Chat completion from the model named provider:model (OpenAI's shape)",
)
def chat(body: ChatCompletionCreate, user: CurrentUser, platform: PlatformDep) -> Response:
    llm = platform.settings.llm
    completion = start_completion(
        platform.models,
        body.model,
        [(m.role, m.content) for m in body.messages],
        temperature=llm.temperature if body.temperature is None else body.temperature,
        max_tokens=body.max_tokens or llm.max_tokens,
    )
    ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if body.stream:
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        events = _events(completion, ident, created)
        return StreamingResponse(events, headers=headers, media_type="text/event-stream")
    text = "".join(completion.pieces)
    stats = completion.stats
    return Response(
        ChatCompletionPublic(
            id=ident,
            created=created,
            model=completion.model,
            choices=[ChatCompletionChoicePublic(index=0, message=ChatCompletionMessagePublic(content=text))],
            usage=ChatCompletionUsagePublic(
                prompt_tokens=stats.prompt_tokens,
                completion_tokens=stats.completion_tokens,
                total_tokens=stats.prompt_tokens + stats.completion_tokens,
            ),
        ).model_dump_json(),
        media_type="application/json",
    )
