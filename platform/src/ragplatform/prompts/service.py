"""The prompt compiler's service: a model's structured answer when one is configured, the rules'
otherwise.

With a model in the generator chain (anything but the extractive answerer), each call asks it for
one JSON object, validates it with pydantic and keeps only what holds up (a value must occur in
the text it was read from, so its span is real). When the model cannot be reached or answers
something unusable, the deterministic result is returned with ``engine="rules"`` and a ``note``
saying why. The rules' placeholders are always kept: a model may miss one, never drop it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError

from ragplatform.errors import BackendUnavailable
from ragplatform.generation.base import GenerationRequest, GenerationStats, Generator
from ragplatform.generation.chain import OFFLINE, has_llm
from ragplatform.prompts.compiler import (
    CompiledPrompt,
    Sections,
    compile_prompt,
    form_schema,
    json_schema,
    render,
)
from ragplatform.prompts.parameters import MAX_PARAMETERS, Parameter, PromptForm, coerce, snake
from ragplatform.prompts.values import FoundValue, extract_values
from ragplatform.schema import Citation

log = logging.getLogger(__name__)

RULES = "rules"
LLM_MAX_TOKENS = 700
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
Model = TypeVar("Model", bound=BaseModel)

COMPILE_INSTRUCTIONS = (
    "You improve prompts for language models. Read the prompt in the passage and reply with one JSON "
    "object and nothing else, with these keys: "
    '"role" (who the model should be, one sentence starting "You are"), '
    '"task" (what to do, imperative), "inputs" (a list of strings, each "name: what it is"; keep every '
    'placeholder written {name}), "constraints" (a list of rules the answer must follow), '
    '"output_format" (the shape of the answer), "changes" (a list of short strings, each a change you made).'
)
FORM_INSTRUCTIONS = (
    "You find the parameters of a prompt template: its placeholders and the details of its request a "
    "user may want to change. Reply with one JSON object and nothing else: "
    '{"parameters": [{"name": snake_case, "type": "string"|"integer"|"number"|"boolean", '
    '"description": short, "default": a value or null, "enum": a list of strings or [], '
    '"required": true|false}]}.'
)
VALUES_INSTRUCTIONS = (
    "You read parameter values out of a text. The passage holds the text, then the parameters as JSON "
    'Schema properties. Reply with one JSON object and nothing else: {"values": {name: value}}, copying '
    "each value exactly as it is written in the text; leave out a parameter the text does not give."
)


class LlmSections(BaseModel):
    role: str = Field(min_length=1, max_length=2000)
    task: str = Field(min_length=1, max_length=5000)
    inputs: list[str] = Field(default_factory=list, max_length=MAX_PARAMETERS)
    constraints: list[str] = Field(default_factory=list, max_length=50)
    output_format: str = Field(min_length=1, max_length=2000)
    changes: list[str] = Field(default_factory=list, max_length=50)


class LlmParameter(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    type: Literal["string", "integer", "number", "boolean"] = "string"
    description: str = Field(default="", max_length=500)
    default: str | int | float | bool | None = None
    enum: list[str] = Field(default_factory=list, max_length=50)
    required: bool = True


class LlmForm(BaseModel):
    parameters: list[LlmParameter] = Field(max_length=MAX_PARAMETERS)


class LlmValues(BaseModel):
    values: dict[str, str | int | float | bool | None]


class PromptCompiler:
    """``compile``, ``form`` and ``values`` of API 05's prompt compiler; ``generator`` is the
    platform's chain (``None`` or the extractive answerer alone: rules only)."""

    def __init__(self, generator: Generator | None = None) -> None:
        self.generator = generator if generator is not None and has_llm(generator) else None

    def _ask(self, instructions: str, passage: str, schema: type[Model]) -> tuple[Model, str]:
        """The model's answer validated as ``schema``, and the provider that gave it. Raises
        ValueError (unusable answer, or the chain fell back to the extractive answerer) and
        BackendUnavailable."""
        if self.generator is None:
            raise ValueError("no model is configured")
        stats = GenerationStats()
        request = GenerationRequest(
            question="Reply with the JSON object only.",
            contexts=[Citation("prompt", "prompt", "Prompt", 1.0, text=passage)],
            system_prompt=instructions,
            max_tokens=LLM_MAX_TOKENS,
            temperature=0.0,
        )
        text = "".join(self.generator.stream(request, stats))
        provider = stats.provider or getattr(self.generator, "name", "")
        if provider == OFFLINE:
            raise ValueError("the generator chain fell back to the extractive answerer, which is no LLM")
        found = _JSON_OBJECT.search(text)
        if found is None:
            raise ValueError(f"{provider} answered no JSON object")
        try:
            return schema.model_validate(json.loads(found.group(0))), provider
        except (ValueError, ValidationError) as exc:
            raise ValueError(f"{provider} answered unusable JSON: {str(exc)[:200]}") from None

    def _fallback_note(self, exc: ValueError | BackendUnavailable) -> str:
        note = exc.message if isinstance(exc, BackendUnavailable) else str(exc)
        log.info("prompt compiled by rules: %s", note)
        return f"the model's answer was not used ({note}); the rules' result is given"

    def compile(self, prompt: str, model_id: str = "") -> CompiledPrompt:
        """The compiled prompt. Raises InvalidInput (blank or too long prompt)."""
        rules = compile_prompt(prompt, model_id)
        if self.generator is None:
            return rules
        try:
            answer, provider = self._ask(COMPILE_INSTRUCTIONS, prompt, LlmSections)
        except (ValueError, BackendUnavailable) as exc:
            return replace(rules, note=self._fallback_note(exc))
        inputs = [i.strip() for i in answer.inputs if i.strip()]
        for p in rules.parameters:
            if p.source == "placeholder" and not any("{" + p.name + "}" in i for i in inputs):
                inputs.append(f"{p.name}: {{{p.name}}}")
        sections = Sections(
            role=answer.role.strip(),
            task=answer.task.strip(),
            inputs=tuple(inputs),
            constraints=tuple(c.strip() for c in answer.constraints if c.strip()),
            output_format=answer.output_format.strip(),
        )
        changes = tuple(c.strip() for c in answer.changes if c.strip())
        return CompiledPrompt(
            render(sections, rules.style), sections, rules.parameters, changes, rules.style, f"llm:{provider}"
        )

    def form(self, prompt: str) -> tuple[PromptForm, str, str | None]:
        """(the form, the engine, a note). Raises InvalidInput (blank or too long prompt)."""
        rules = form_schema(prompt)
        if self.generator is None:
            return rules, RULES, None
        try:
            answer, provider = self._ask(FORM_INSTRUCTIONS, prompt, LlmForm)
        except (ValueError, BackendUnavailable) as exc:
            return rules, RULES, self._fallback_note(exc)
        parameters = {p.name: p for p in rules.parameters if p.source == "placeholder"}
        for item in answer.parameters:
            name = snake(item.name)
            if not name or name in parameters:
                continue
            default = coerce(item.default, item.type)
            parameters[name] = Parameter(
                name=name,
                type=item.type,
                description=item.description.strip(),
                default=default,
                enum=tuple(e for e in item.enum if e),
                required=item.required and default is None,
                source="slot",
            )
        chosen = tuple(parameters.values())[:MAX_PARAMETERS]
        form = PromptForm(
            parameters=chosen,
            template=rules.template,
            schema=json_schema(chosen),
            defaults={p.name: p.default for p in chosen if p.default is not None},
        )
        return form, f"llm:{provider}", None

    def values(
        self, text: str, parameters: Sequence[Parameter], template: str | None = None
    ) -> tuple[list[FoundValue], list[str], str, str | None]:
        """(values found, names not found, engine, note). Raises InvalidInput (blank or too long text)."""
        found, missing = extract_values(text, parameters, template)
        if self.generator is None or not missing:
            return found, missing, RULES, None
        props = json.dumps(json_schema(list(parameters))["properties"])
        try:
            answer, provider = self._ask(VALUES_INSTRUCTIONS, f"{text}\n\nParameters: {props}", LlmValues)
        except (ValueError, BackendUnavailable) as exc:
            return found, missing, RULES, self._fallback_note(exc)
        by_name = {v.name: v for v in found}
        for p in parameters:
            if p.name in by_name or answer.values.get(p.name) is None:
                continue
            located = _locate(text, p, answer.values[p.name])
            if located is not None:
                by_name[p.name] = located
        ordered = [by_name[p.name] for p in parameters if p.name in by_name]
        return ordered, [p.name for p in parameters if p.name not in by_name], f"llm:{provider}", None


def _locate(text: str, p: Parameter, value: Any) -> FoundValue | None:
    """The model's value where it occurs in ``text``; ``None`` when it does not (a made-up value)."""
    raw = str(value).strip()
    at = text.lower().find(raw.lower()) if raw else -1
    typed = coerce(text[at : at + len(raw)], p.type) if at >= 0 else None
    if typed is None:
        return None
    return FoundValue(p.name, typed, at, at + len(raw), text[at : at + len(raw)], "llm")


def parameters_from_schema(schema: dict[str, Any]) -> list[Parameter]:
    """Parameters from a JSON Schema object's ``properties`` (what ``form`` returns as ``schema``)."""
    required = set(schema.get("required") or ())
    out: list[Parameter] = []
    for name, prop in (schema.get("properties") or {}).items():
        kind = prop.get("type", "string")
        out.append(
            Parameter(
                name=name,
                type=kind,
                description=str(prop.get("description") or ""),
                default=prop.get("default"),
                enum=tuple(str(e) for e in prop.get("enum") or ()),
                format=prop.get("format"),
                required=name in required,
            )
        )
    return out
