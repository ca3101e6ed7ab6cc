"""Request parameter types every API package shares: pages, UTC day windows, questions.

A limit whose value comes from settings (the question length) is enforced by the platform service
that owns it; the schema marks the field with ``x-limit-setting`` and ``ragserve.main`` writes the
configured value into ``/openapi.json`` as ``maxLength``, so the document and the check agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import Query
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from pydantic import Field
from starlette.requests import HTTPConnection

from ragplatform.answering.service import AnswerService
from ragplatform.errors import InvalidInput
from ragplatform.timestamps import UtcDatetime
from ragserve.body_guard import safe_text, string_problem

MAX_PAGE = 200
MAX_OFFSET = 1_000_000
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"items per page, 1..{MAX_PAGE}")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")]

# The OpenAPI extension naming the setting a field's maxLength comes from (see ``apply_limits``).
LIMIT_SETTING = "x-limit-setting"
QUESTION_LIMIT = "answer.max_question_chars"

Question = Annotated[
    str,
    Field(
        min_length=1,
        description="the question, not blank; at most ANSWER__MAX_QUESTION_CHARS characters (4000 by default)",
        json_schema_extra={LIMIT_SETTING: QUESTION_LIMIT},
    ),
]


def checked_question(
    answers: AnswerService, question: str, loc: tuple[str, ...] = ("body", "question")
) -> str:
    """The question within ANSWER__MAX_QUESTION_CHARS (``AnswerService.check_question`` owns the
    rule), refused as the request validation error a too-long field is, naming ``loc``."""
    try:
        return answers.check_question(question)
    except InvalidInput as exc:
        raise RequestValidationError(
            [{"loc": loc, "msg": exc.message, "type": "value_error", "input": exc.value}]
        ) from None


UtcTime = UtcDatetime
"""A time parameter (ISO 8601, UTC when it has no offset), refused with 422 naming the parameter when
it falls outside years 1..9999 once converted to UTC."""


def check_parameters(connection: HTTPConnection) -> None:
    """Every route's dependency (see ``ragserve.main``): a query or path parameter holding a NUL
    character or a lone surrogate is refused with 422 naming the parameter, before any route
    passes it to a store that cannot keep it."""
    errors = [
        {"type": "string_unicode", "loc": [kind, name], "msg": problem, "input": safe_text(value)}
        for kind, items in (
            ("path", list(connection.path_params.items())),
            ("query", connection.query_params.multi_items()),
        )
        for name, value in items
        if isinstance(value, str) and (problem := string_problem(value))
    ]
    if errors and connection.scope["type"] == "websocket":
        raise WebSocketRequestValidationError(errors)
    if errors:
        raise RequestValidationError(errors)


def day_window(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """UTC days, both inclusive, as a datetime window. Raises InvalidInput when reversed."""
    if date_from and date_to and date_to < date_from:
        raise InvalidInput(
            f"date_to ({date_to}) must not be before date_from ({date_from})", field="date_to", value=date_to
        )
    since = datetime.combine(date_from, time.min, tzinfo=UTC) if date_from else None
    until = datetime.combine(date_to, time.max, tzinfo=UTC) if date_to else None
    return since, until


def apply_limits(schema: dict[str, Any], limits: dict[str, int]) -> dict[str, Any]:
    """Writes each configured limit into the OpenAPI document as ``maxLength`` of the fields that
    name it with ``x-limit-setting``."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            setting = node.get(LIMIT_SETTING)
            if isinstance(setting, str) and setting in limits:
                node["maxLength"] = limits[setting]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema
