"""``/api/v1/prompt_compiler`` (API 05): compile a prompt, the form for its parameters, and the
values of those parameters in a filled-in text.

Signed-in users only (the document marks the three routes ✅). With a model in the generator chain
(``LLM__PROVIDERS``) the compiler asks it for structured output and falls back to the offline rules
(``engine: "rules"`` with a ``note``) when the answer is unusable; offline the rules answer. As the
document's status table says, a body that fails validation is answered 400 with a ``detail``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from ragplatform.errors import InvalidInput
from ragplatform.factory import Platform
from ragplatform.generation.catalog import default_model, find_model
from ragplatform.prompts.parameters import Parameter
from ragplatform.prompts.service import PromptCompiler, parameters_from_schema
from ragplatform.prompts.values import FoundValue
from ragserve.auth import CurrentUser
from ragserve.deps import PlatformDep
from ragserve.errors import error_body, status_for
from ragserve.v1.schemas import (
    CompiledPromptPublic,
    FoundValuePublic,
    ParameterValuesPublic,
    ParameterValuesUpdate,
    PromptCompile,
    PromptFormPublic,
    PromptParameterPublic,
    PromptSectionsPublic,
)


class BadRequestRoute(APIRoute):
    """Answers a request that fails validation 400 instead of FastAPI's 422 (API 05's status table),
    with the app's usual validation body: ``{"detail": [{"loc": ..., "msg": ..., "type": ...}]}``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                app_handler = request.app.exception_handlers.get(
                    RequestValidationError, request_validation_exception_handler
                )
                response: Response = await app_handler(request, exc)
                response.status_code = 400
                return response
            except InvalidInput as exc:
                if status_for(exc) != 422:
                    raise
                return JSONResponse(error_body(exc), status_code=400)

        return route


RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "the body fails validation: `detail` lists each field and what is wrong"},
    401: {"description": "not signed in: no valid access_token cookie or Bearer token"},
    "4XX": {"description": "another client error, with a `detail` (413: the body is over the size limit)"},
}
router = APIRouter(
    prefix="/api/v1/prompt_compiler",
    tags=["v1 prompt compiler"],
    route_class=BadRequestRoute,
    responses=RESPONSES,
)


def _compiler(platform: Platform) -> PromptCompiler:
    return PromptCompiler(platform.answers.generator)


def _parameter(p: Parameter) -> PromptParameterPublic:
    start, end = p.span if p.span else (None, None)
    return PromptParameterPublic(
        name=p.name,
        type=p.type,
        description=p.description,
        default=p.default,
        enum=list(p.enum),
        format=p.format,
        required=p.required,
        source=p.source,
        placeholder=p.placeholder,
        start=start,
        end=end,
    )


def _found(v: FoundValue) -> FoundValuePublic:
    return FoundValuePublic(
        name=v.name, value=v.value, start=v.start, end=v.end, text=v.text, method=v.method
    )


@router.post(
    "/compile",
    response_model=CompiledPromptPublic,
    summary="Compile a prompt into role, task, inputs, constraints and output format",
    description="The prompt sectioned, completed where a section is missing (each change listed) and "
    "written in the style `modelid` reads best. Its parameters are listed as `/compile/form` finds them.",
)
def compile_prompt(body: PromptCompile, user: CurrentUser, platform: PlatformDep) -> CompiledPromptPublic:
    modelid = body.modelid or default_model(platform.settings)[0]
    known = find_model(platform.settings, modelid)
    compiled = _compiler(platform).compile(body.prompt, modelid)
    s = compiled.sections
    return CompiledPromptPublic(
        compiled_prompt=compiled.prompt,
        sections=PromptSectionsPublic(
            role=s.role,
            task=s.task,
            inputs=list(s.inputs),
            constraints=list(s.constraints),
            output_format=s.output_format,
        ),
        changes=list(compiled.changes),
        parameters=[_parameter(p) for p in compiled.parameters],
        modelid=modelid,
        model_configured=known is not None,
        model_api_source=known.api_source if known else None,
        style=compiled.style,
        engine=compiled.engine,
        note=compiled.note,
    )


@router.post(
    "/compile/form",
    response_model=PromptFormPublic,
    summary="The parameters of a prompt and a JSON Schema for a form to fill them",
    description="Placeholders ({city}, {{city}}, <city>, [city], $city) and the request's slots found by "
    "rules (a place, a count of words, a language, a date, a topic, a tone, an audience), each with "
    "its type, choices and default.",
)
def compile_form(body: PromptCompile, user: CurrentUser, platform: PlatformDep) -> PromptFormPublic:
    form, engine, note = _compiler(platform).form(body.prompt)
    return PromptFormPublic(
        parameters=[_parameter(p) for p in form.parameters],
        schema=form.schema,
        defaults=form.defaults,
        template=form.template,
        modelid=body.modelid or default_model(platform.settings)[0],
        engine=engine,
        note=note,
    )


@router.post(
    "/update_parameters",
    response_model=ParameterValuesPublic,
    summary="The parameters' values found in a filled-in prompt, each with its span",
    description="With `template` the prompt is matched against it and the spans are exact; without it "
    "each parameter is looked for by rules (its choices, a date, a number before a unit its name gives, "
    "`name: value`, a place after `in`).",
)
def update_parameters(
    body: ParameterValuesUpdate, user: CurrentUser, platform: PlatformDep
) -> ParameterValuesPublic:
    parameters = parameters_from_schema(body.parameter_schema.model_dump())
    found, missing, engine, note = _compiler(platform).values(body.prompt, parameters, body.template)
    return ParameterValuesPublic(
        values={v.name: v.value for v in found},
        found=[_found(v) for v in found],
        missing=missing,
        engine=engine,
        note=note,
    )
