"""The prompt compiler offline (rules) on many prompts, and with a model that answers JSON, answers
nonsense, or cannot be reached."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ragplatform.errors import BackendUnavailable, InvalidInput
from ragplatform.generation.base import GenerationRequest, GenerationStats
from ragplatform.prompts.compiler import compile_prompt, form_schema, style_for
from ragplatform.prompts.parameters import coerce
from ragplatform.prompts.service import PromptCompiler, parameters_from_schema
from ragplatform.prompts.values import extract_values

# -- form_schema: the parameters found ---------------------------------------------------------

# prompt → {name: (type, default, source)} expected among the parameters
FORMS: list[tuple[str, dict[str, tuple[str, Any, str]]]] = [
    ("Find good restaurants", {"location": ("string", None, "missing")}),
    ("Find good restaurants in {city}", {"city": ("string", None, "placeholder")}),
    ("Find vegan restaurants in Paris", {"location": ("string", "Paris", "slot")}),
    (
        "Suggest {count} things to do in {{city}} on <date>.",
        {
            "count": ("integer", None, "placeholder"),
            "city": ("string", None, "placeholder"),
            "date": ("string", None, "placeholder"),
        },
    ),
    (
        "Write a {tone:formal|casual=formal} email to [recipient name].",
        {"tone": ("string", "formal", "placeholder"), "recipient_name": ("string", None, "placeholder")},
    ),
    (
        "Summarise $article in {n:int=3} sentences.",
        {"article": ("string", None, "placeholder"), "n": ("integer", 3, "placeholder")},
    ),
    (
        "Write a 500-word essay about climate change in a persuasive tone",
        {
            "word_count": ("integer", 500, "slot"),
            "topic": ("string", "climate change", "slot"),
            "tone": ("string", "persuasive", "slot"),
        },
    ),
    ("Translate this text into French.", {"language": ("string", "French", "slot")}),
    (
        "Explain recursion for beginners in three bullet points.",
        {"audience": ("string", "beginners", "slot"), "bullet_count": ("integer", 3, "slot")},
    ),
    (
        "Plan a trip to Tokyo with a budget of $ {budget}.",
        {"budget": ("number", None, "placeholder"), "location": ("string", "Tokyo", "slot")},
    ),
    (
        "Reply in {language} (English|French|German) with {k} (default: 2) examples.",
        {"language": ("string", None, "placeholder"), "k": ("integer", 2, "placeholder")},
    ),
    (
        "Send the report to ${email} by {deadline}.",
        {"email": ("string", None, "placeholder"), "deadline": ("string", None, "placeholder")},
    ),
]


@pytest.mark.parametrize(("prompt", "expected"), FORMS, ids=[p for p, _ in FORMS])
def test_form_finds_the_expected_parameters(prompt: str, expected: dict[str, tuple[str, Any, str]]) -> None:
    form = form_schema(prompt)
    got = {p.name: (p.type, p.default, p.source) for p in form.parameters}
    assert got == expected
    assert set(form.schema["properties"]) == set(expected)
    assert form.schema["type"] == "object"
    assert form.defaults == {name: d for name, (_, d, _) in expected.items() if d is not None}
    assert set(form.schema["required"]) == {n for n, (_, d, s) in expected.items() if d is None}
    for p in form.parameters:  # every span points at the text it names
        if p.span is not None:
            assert prompt[p.span[0] : p.span[1]] == p.placeholder


def test_form_types_formats_choices_and_the_template() -> None:
    form = form_schema(
        "Write a {{tone:formal|casual=formal}} note to <recipient> at {email} before {date}; "
        "keep it under {max_words} words. Style: {style} (short, long). <context>{text}</context>"
    )
    props = form.schema["properties"]
    assert props["tone"] == {
        "type": "string",
        "title": "Tone",
        "description": "tone",
        "enum": ["formal", "casual"],
        "default": "formal",
    }
    assert props["email"]["format"] == "email" and props["date"]["format"] == "date"
    assert props["max_words"]["type"] == "integer"
    assert props["style"]["enum"] == ["short", "long"]
    assert "context" not in props  # <context>...</context> is a section, not a placeholder
    assert form.template == (
        "Write a {tone} note to {recipient} at {email} before {date}; keep it under {max_words} words. "
        "Style: {style}. <context>{text}</context>"
    )


def test_html_tags_citations_and_links_are_no_placeholders() -> None:
    form = form_schema("Use <b>bold</b> and cite as [1]. See [the docs](https://x.example) for <name>.")
    assert [p.name for p in form.parameters] == ["name"]


def test_a_blank_or_huge_prompt_is_refused_with_its_field() -> None:
    with pytest.raises(InvalidInput) as blank:
        form_schema("   ")
    assert blank.value.field == "prompt"
    with pytest.raises(InvalidInput, match="at most 20000 characters"):
        compile_prompt("x" * 20_001)


# -- compile_prompt: sections and changes ------------------------------------------------------

# prompt → (role, task, constraints, output format contains, changes that must be listed)
COMPILES: list[tuple[str, str, str, list[str], str, list[str]]] = [
    (
        "Find good restaurants",
        "You are a careful, knowledgeable assistant.",
        "Find good restaurants.",
        [],
        "A direct answer first",
        ["named the role", "added a missing input: location", "added an explicit output format"],
    ),
    (
        "You are a travel guide. Suggest {count} things to do in <city>. Answer as a bulleted list.",
        "You are a travel guide.",
        "Suggest {count} things to do in {city}.",
        [],
        "Answer as a bulleted list.",
        ["wrote every placeholder as {name}", "listed the placeholders as inputs"],
    ),
    (
        "Summarise the article. You are an editor. Never invent quotes. Return JSON with keys title and summary.",
        "You are an editor.",
        "Summarise the article.",
        ["Never invent quotes."],
        "Return JSON with keys title and summary.",
        ["moved the role to the front"],
    ),
    (
        "What is the capital of {country}?",
        "You are a careful, knowledgeable assistant.",
        "Answer this question: What is the capital of {country}?",
        [],
        "A direct answer first",
        ["stated the question as a task", "added a constraint against guessing"],
    ),
    (
        "Act as a senior Python reviewer. Review this code. Keep it under 100 words.",
        "Act as a senior Python reviewer.",
        "Review this code.",
        ["Keep it under 100 words."],
        "A direct answer first",
        ["added an explicit output format"],
    ),
    (
        "Summarise the following article in 3 bullet points: $article",
        "You are a careful, knowledgeable assistant.",
        "Summarise the following article in 3 bullet points: {article}.",
        [],
        "3 bullet points, as the task asks.",
        ["named the role"],
    ),
    (
        "Translate this text into French. Do not add explanations. Output only the translation.",
        "You are a careful, knowledgeable assistant.",
        "Translate this text into French.",
        ["Do not add explanations."],
        "Output only the translation.",
        ["made the question's details inputs a form can change: language"],
    ),
    (
        "You're a friendly tutor.\nExplain {concept} to a child.\nUse at most 3 sentences.\nFormat the answer as markdown.",
        "You're a friendly tutor.",
        "Explain {concept} to a child.",
        ["Use at most 3 sentences."],
        "Format the answer as markdown.",
        ["listed the placeholders as inputs"],
    ),
    (
        "Given the context {context}, answer the user's question {question}. Always cite sources.",
        "You are a careful, knowledgeable assistant.",
        "Given the context {context}, answer the user's question {question}.",
        ["Always cite sources."],
        "A direct answer first",
        [],
    ),
    (
        "Write a 500-word essay about climate change in a persuasive tone",
        "You are a careful, knowledgeable assistant.",
        "Write a 500-word essay about climate change in a persuasive tone.",
        [],
        "A direct answer first",
        ["made the question's details inputs a form can change: word_count, topic, tone"],
    ),
    (
        "Create a table of the planets. You must include their mass.",
        "You are a careful, knowledgeable assistant.",
        "Create a table of the planets.",
        ["You must include their mass."],
        "Table, as the task asks.",
        [],
    ),
]


@pytest.mark.parametrize(
    ("prompt", "role", "task", "constraints", "output_format", "changes"),
    COMPILES,
    ids=[c[0][:40] for c in COMPILES],
)
def test_compile_sections_and_changes(
    prompt: str, role: str, task: str, constraints: list[str], output_format: str, changes: list[str]
) -> None:
    compiled = compile_prompt(prompt, "gpt-4")
    s = compiled.sections
    assert (s.role, s.task) == (role, task)
    for c in constraints:
        assert c in s.constraints
    assert output_format in s.output_format
    for change in changes:
        assert change in compiled.changes
    assert compiled.engine == "rules" and compiled.style == "markdown"
    assert compiled.prompt.startswith("## Role\n" + role)
    for title in ("## Task", "## Constraints", "## Output format"):
        assert title in compiled.prompt


def test_every_placeholder_is_an_input_of_the_compiled_prompt() -> None:
    compiled = compile_prompt("Suggest {count} things to do in <city> on [date].")
    assert [i for i in compiled.sections.inputs] == ["count: {count}", "city: {city}", "date: {date}"]
    assert "- city: {city}" in compiled.prompt


def test_the_style_follows_the_model() -> None:
    assert style_for("claude-3-5-haiku-latest") == "xml"
    assert style_for("SmolLM2-135M-Instruct") == "plain" and style_for("llama3.2") == "plain"
    assert style_for("gpt-4") == "markdown"
    xml = compile_prompt("Find good restaurants in {city}", "claude-3-sonnet").prompt
    assert xml.startswith("<role>\nYou are") and "<inputs>\n- city: {city}\n</inputs>" in xml
    plain = compile_prompt("Find good restaurants in {city}", "SmolLM2-135M-Instruct").prompt
    assert plain.startswith("Role:\nYou are") and "Output format:\n" in plain


# -- extract_values: values with spans ---------------------------------------------------------

# (template, filled text, give the template?, {name: value}, names missing)
VALUES: list[tuple[str, str, bool, dict[str, Any], list[str]]] = [
    (
        "Suggest {count} things to do in {city} on {date}.",
        "Suggest 5 things to do in Lisbon on 2026-05-01.",
        True,
        {"count": 5, "city": "Lisbon", "date": "2026-05-01"},
        [],
    ),
    (
        "Suggest {count} things to do in {city} on {date}.",
        "Please suggest 7 things to do in New York on 2026-06-02, thanks",
        False,
        {"count": 7, "city": "New York", "date": "2026-06-02"},
        [],
    ),
    (
        "Write a {tone:formal|casual} email to <recipient>.",
        "Write a casual email to Maria.",
        True,
        {"tone": "casual", "recipient": "Maria"},
        [],
    ),
    (
        "Write a {tone:formal|casual} email to <recipient>.",
        "I need a Formal email for my boss.",
        False,
        {"tone": "formal"},
        ["recipient"],
    ),
    (
        "Contact {email} about {url}",
        "Contact ann@example.com about https://example.com/x",
        False,
        {"email": "ann@example.com", "url": "https://example.com/x"},
        [],
    ),
    (
        "Write {word_count} words about {topic}",
        "Write 300 words about the history of Rome.",
        False,
        {"word_count": 300, "topic": "the history of Rome"},
        [],
    ),
    (
        "Translate into {language} (English|French|German)",
        "Translate into German please",
        False,
        {"language": "German"},
        [],
    ),
    (
        "Budget: {budget}. City: {city}.",
        "Budget: 1200. City: Oslo.",
        False,
        {"budget": 1200.0, "city": "Oslo"},
        [],
    ),
    (
        "Plan a trip with a budget of $ {budget}",
        "Plan a trip with a budget of $2,500",
        False,
        {"budget": 2500.0},
        [],
    ),
    ("Is it vegan? {is_vegan}", "is vegan: yes", False, {"is_vegan": True}, []),
    ("Summarise for {audience}", "Summarise this for beginners", False, {"audience": "beginners"}, []),
    ("{a} and {b} and {a}", "x and y and x", True, {"a": "x", "b": "y"}, []),
    (
        "Find {cuisine} restaurants in {city}",
        "Find Thai restaurants somewhere",
        True,
        {},
        ["cuisine", "city"],
    ),
]


@pytest.mark.parametrize(
    ("template", "text", "use_template", "values", "missing"), VALUES, ids=[v[1][:40] for v in VALUES]
)
def test_values_are_found_with_their_spans(
    template: str, text: str, use_template: bool, values: dict[str, Any], missing: list[str]
) -> None:
    form = form_schema(template)
    parameters = parameters_from_schema(form.schema)
    found, not_found = extract_values(text, parameters, form.template if use_template else None)
    assert {v.name: v.value for v in found} == values
    assert not_found == missing
    types = {p.name: p.type for p in parameters}
    for v in found:  # the span holds the text the value was read from
        assert text[v.start : v.end] == v.text
        assert str(coerce(v.text, types[v.name])).lower() == str(v.value).lower()


# -- with a model --------------------------------------------------------------------------------


class ScriptedModel:
    """A generator that answers one scripted text, as a model in the chain would."""

    def __init__(self, reply: str | Exception, name: str = "openai") -> None:
        self.reply = reply
        self.name = name
        self.requests: list[GenerationRequest] = []

    def stream(self, request: GenerationRequest, stats: GenerationStats | None = None) -> Iterator[str]:
        self.requests.append(request)
        if isinstance(self.reply, Exception):
            raise self.reply
        if stats is not None:
            stats.provider = self.name
        yield self.reply


def test_a_model_compiles_and_the_placeholders_stay() -> None:
    reply = (
        'Sure: {"role": "You are a food critic.", "task": "Recommend restaurants in {city}.", '
        '"inputs": [], "constraints": ["Only open restaurants."], "output_format": "A numbered list.", '
        '"changes": ["named the role", "asked for a list"]}'
    )
    model = ScriptedModel(reply)
    compiled = PromptCompiler(model).compile("Find good restaurants in {city}", "gpt-4")
    assert compiled.engine == "llm:openai" and compiled.note is None
    assert compiled.sections.role == "You are a food critic."
    assert compiled.sections.inputs == ("city: {city}",)  # the model left it out; the rules keep it
    assert compiled.changes == ("named the role", "asked for a list")
    assert "Find good restaurants in {city}" in model.requests[0].contexts[0].text


@pytest.mark.parametrize(
    "reply",
    ["no JSON at all", '{"role": "", "task": "x"}', BackendUnavailable("connection refused")],
    ids=["no-json", "invalid-json", "unreachable"],
)
def test_an_unusable_model_falls_back_to_the_rules(reply: str | Exception) -> None:
    compiler = PromptCompiler(ScriptedModel(reply))
    compiled = compiler.compile("Find good restaurants", "gpt-4")
    assert compiled.engine == "rules" and compiled.note is not None
    assert compiled.sections.task == "Find good restaurants."
    form, engine, note = compiler.form("Find good restaurants in {city}")
    assert engine == "rules" and note and [p.name for p in form.parameters] == ["city"]


def test_the_extractive_answerer_is_no_model() -> None:
    from ragplatform.generation.extractive import ExtractiveGenerator

    assert PromptCompiler(ExtractiveGenerator()).generator is None


def test_a_model_adds_slots_to_the_form() -> None:
    reply = '{"parameters": [{"name": "Cuisine", "type": "string", "enum": ["thai", "italian"], "default": "thai"}, {"name": "city"}]}'
    form, engine, _ = PromptCompiler(ScriptedModel(reply)).form("Find good restaurants in {city}")
    assert engine == "llm:openai"
    assert [(p.name, p.source, p.default) for p in form.parameters] == [
        ("city", "placeholder", None),
        ("cuisine", "slot", "thai"),
    ]
    assert form.schema["properties"]["cuisine"]["enum"] == ["thai", "italian"]


def test_a_model_finds_values_but_only_those_in_the_text() -> None:
    reply = '{"values": {"cuisine": "Thai", "city": "Atlantis"}}'
    form = form_schema("Find {cuisine} restaurants in {city}")
    parameters = parameters_from_schema(form.schema)
    found, missing, engine, _ = PromptCompiler(ScriptedModel(reply)).values(
        "Find me thai food somewhere", parameters
    )
    assert engine == "llm:openai"
    assert [(v.name, v.value, v.start, v.end, v.method) for v in found] == [("cuisine", "thai", 8, 12, "llm")]
    assert missing == ["city"]  # a value the text does not hold is dropped
