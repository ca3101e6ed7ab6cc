"""The deterministic prompt compiler: a prompt sectioned into role, task, inputs, constraints and
output format by rules, with what is missing added and every change listed.

Each sentence (or line) goes to one section: ``You are …``/``Act as …`` is the role; a sentence
naming a format (``as JSON``, ``a table``, ``3 bullet points``, ``respond with``) the output format;
one that binds the answer (``must``, ``never``, ``at most 100 words``, ``only``) a constraint; one
that hands over material (``Given …``, ``Here is …``, ``Text:``) an input; the rest is the task.
The compiled prompt is written in the style the target model reads best: Markdown headings, XML
tags for Claude models, plain labels for small local models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from ragplatform.prompts.parameters import (
    Parameter,
    PromptForm,
    check_prompt,
    find_placeholders,
    template_of,
)
from ragplatform.prompts.slots import find_slots

Style = Literal["markdown", "xml", "plain"]

ROLE = re.compile(
    r"^\s*(?:you are|you're|act as|acting as|pretend (?:to be|you are)|imagine you are|your role is|"
    r"as an? [\w -]{2,40}(?:,|\s+you\b))",
    re.IGNORECASE,
)
FORMAT = re.compile(
    r"\b(?:json|yaml|csv|xml|markdown|html|table|bullet(?:ed)? (?:points?|list)|bullets|numbered list|"
    r"a list|as a list|in a list|headings?|code block|respond with|reply with|return (?:a|an|the|only)|"
    r"output (?:a|an|the|as|in)|format(?:ted)? (?:as|in)|the format|in the form of|one line|one word|"
    r"output only|only output|answer only with|\d+ (?:bullet points?|bullets?|points?|items?|lines?|paragraphs?))\b",
    re.IGNORECASE,
)
CONSTRAINT = re.compile(
    r"\b(?:must|should|never|always|do not|don't|avoid|only|at most|at least|no more than|"
    r"fewer than|less than|up to|maximum|minimum|limit|keep it|without|under \d+|within \d+|"
    r"make sure|ensure|cannot|can't|not exceed|\d+ words|\d+ sentences|\d+ characters)\b",
    re.IGNORECASE,
)
INPUT = re.compile(
    r"^\s*(?:given|here is|here are|use the following|using the following|based on|the following|"
    r"context|input|text|document|article|data|question|variables?)\b",
    re.IGNORECASE,
)
SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)|\n")
XML_SECTION = re.compile(r"<(?P<tag>[A-Za-z][\w-]{0,40})>(?P<body>.*?)</(?P=tag)>", re.DOTALL)
QUESTION_WORDS = re.compile(
    r"^\s*(?:what|which|who|whom|where|when|why|how|is|are|can|could|do|does|should)\b", re.IGNORECASE
)

DEFAULT_ROLE = "You are a careful, knowledgeable assistant."
DEFAULT_CONSTRAINT = "If information you need is missing or uncertain, say so instead of guessing."
DEFAULT_FORMAT = "A direct answer first, then the supporting details; plain prose unless a list is clearer."
MISSING_INPUT_NOTE = "(not given: ask for it, or state the assumption you make)"


@dataclass(frozen=True)
class Sections:
    role: str = ""
    task: str = ""
    inputs: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    output_format: str = ""


@dataclass(frozen=True)
class CompiledPrompt:
    """The compiled prompt, its sections, its parameters and the changes made, in order."""

    prompt: str
    sections: Sections
    parameters: tuple[Parameter, ...]
    changes: tuple[str, ...]
    style: Style
    engine: str = "rules"
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _sentences(text: str) -> list[str]:
    """Sentences and lines of ``text`` (XML sections flattened), stripped, blanks dropped."""
    text = XML_SECTION.sub(lambda m: f"\n{m.group('tag')}: {m.group('body').strip()}\n", text)
    return [s.strip(" \t-*•") for s in SENTENCE.findall(text) if s.strip(" \t-*•\n")]


def section(prompt: str) -> tuple[Sections, bool]:
    """The prompt's sections by rules, and whether the role was not at the front."""
    role: list[str] = []
    task: list[str] = []
    inputs: list[str] = []
    constraints: list[str] = []
    formats: list[str] = []
    role_late = False
    for i, sentence in enumerate(_sentences(prompt)):
        if ROLE.search(sentence):
            role.append(sentence)
            role_late = role_late or i > 0
        elif FORMAT.search(sentence):
            formats.append(sentence)
        elif CONSTRAINT.search(sentence):
            constraints.append(sentence)
        elif INPUT.search(sentence) or re.match(r"^[\w ]{1,30}:\s*\S", sentence):
            inputs.append(sentence)
        else:
            task.append(sentence)
    if not task and inputs:  # "Question: ..." is the task when nothing else is
        task.append(inputs.pop())
    if not task and formats:  # "Summarise it in 3 bullet points": the task, naming the format
        task.append(formats.pop(0))
        found = FORMAT.search(task[0])
        phrase = found.group(0) if found else "the format"
        formats.insert(0, f"{phrase[0].upper()}{phrase[1:]}, as the task asks.")
    if not task and constraints:
        task.append(constraints.pop(0))
    return (
        Sections(
            role=" ".join(role),
            task=" ".join(task),
            inputs=tuple(inputs),
            constraints=tuple(constraints),
            output_format=" ".join(formats),
        ),
        role_late,
    )


def parameters_of(prompt: str) -> list[Parameter]:
    """Placeholders first, then the question's slots (see ``ragplatform.prompts.slots``)."""
    placeholders = find_placeholders(prompt)
    return [*placeholders, *find_slots(prompt, placeholders)]


def form_schema(prompt: str) -> PromptForm:
    """The parameters of ``prompt``, a JSON Schema for a form to fill them, and their defaults.
    Raises InvalidInput for a blank prompt or one over MAX_PROMPT_CHARS."""
    check_prompt(prompt)
    parameters = parameters_of(prompt)
    return PromptForm(
        parameters=tuple(parameters),
        template=template_of(prompt),
        schema=json_schema(parameters),
        defaults={p.name: p.default for p in parameters if p.default is not None},
    )


def json_schema(
    parameters: list[Parameter] | tuple[Parameter, ...], title: str = "Prompt parameters"
) -> dict[str, Any]:
    return {
        "title": title,
        "type": "object",
        "properties": {p.name: p.json_schema() for p in parameters},
        "required": [p.name for p in parameters if p.required],
    }


def style_for(model_id: str) -> Style:
    """How a model reads structure best: XML tags for Claude, plain labels for small local models,
    Markdown headings otherwise."""
    lowered = model_id.lower()
    if "claude" in lowered or lowered.startswith("anthropic"):
        return "xml"
    if re.search(r"smollm|tinyllama|phi|gemma|qwen|mistral|llama|local|extractive", lowered):
        return "plain"
    return "markdown"


def _task_sentence(task: str) -> tuple[str, str | None]:
    """The task as an instruction; a bare question becomes ``Answer this question: …``."""
    if not task:
        return "", None
    if task.rstrip().endswith("?") and QUESTION_WORDS.search(task):
        return f"Answer this question: {task}", "stated the question as a task"
    if not re.search(r"[.!?]$", task):
        return task + ".", None
    return task, None


def compile_prompt(prompt: str, model_id: str = "") -> CompiledPrompt:
    """The deterministic compilation of ``prompt`` for ``model_id`` (its style only).
    Raises InvalidInput for a blank prompt or one over MAX_PROMPT_CHARS."""
    check_prompt(prompt)
    sections, role_late = section(template_of(prompt))
    parameters = parameters_of(prompt)
    changes: list[str] = []
    role = sections.role
    if not role:
        role = DEFAULT_ROLE
        changes.append("named the role")
    elif role_late:
        changes.append("moved the role to the front")
    task, change = _task_sentence(sections.task or prompt.strip())
    if change:
        changes.append(change)
    inputs = list(sections.inputs)
    listed = " ".join(inputs)
    for p in parameters:
        if p.source == "placeholder" and "{" + p.name + "}" not in listed:
            inputs.append(f"{p.name}: {{{p.name}}}")
        elif p.source == "slot":
            inputs.append(f"{p.name}: {p.default}")
        elif p.source == "missing":
            inputs.append(f"{p.name}: {MISSING_INPUT_NOTE}")
    if any(
        p.placeholder and p.placeholder != "{" + p.name + "}" and p.source == "placeholder"
        for p in parameters
    ):
        changes.append("wrote every placeholder as {name}")
    if any(p.source == "placeholder" for p in parameters):
        changes.append("listed the placeholders as inputs")
    if any(p.source == "slot" for p in parameters):
        changes.append(
            "made the question's details inputs a form can change: "
            + ", ".join(p.name for p in parameters if p.source == "slot")
        )
    if any(p.source == "missing" for p in parameters):
        changes.append(
            "added a missing input: " + ", ".join(p.name for p in parameters if p.source == "missing")
        )
    constraints = list(sections.constraints)
    if not constraints:
        constraints.append(DEFAULT_CONSTRAINT)
        changes.append("added a constraint against guessing")
    output_format = sections.output_format
    if not output_format:
        output_format = DEFAULT_FORMAT
        changes.append("added an explicit output format")
    compiled = Sections(role, task, tuple(inputs), tuple(constraints), output_format)
    style = style_for(model_id)
    return CompiledPrompt(render(compiled, style), compiled, tuple(parameters), tuple(changes), style)


TITLES = (
    ("role", "Role"),
    ("task", "Task"),
    ("inputs", "Inputs"),
    ("constraints", "Constraints"),
    ("output_format", "Output format"),
)


def render(sections: Sections, style: Style) -> str:
    """The sections as one prompt text in ``style``; empty sections left out."""
    blocks: list[str] = []
    for key, title in TITLES:
        value = getattr(sections, key)
        body = "\n".join(f"- {v}" for v in value) if isinstance(value, tuple) else value
        if not body:
            continue
        if style == "xml":
            tag = key.replace("_", "_")
            blocks.append(f"<{tag}>\n{body}\n</{tag}>")
        elif style == "plain":
            blocks.append(f"{title}:\n{body}")
        else:
            blocks.append(f"## {title}\n{body}")
    return "\n\n".join(blocks)
