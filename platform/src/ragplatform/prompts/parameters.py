"""The parameters of a prompt, found by rules: its placeholders and the slots of its question.

Placeholders in five syntaxes are recognised: ``{city}``, ``{{city}}``, ``<city>`` (not when a
``</city>`` closes it: that is an XML section), ``[city]`` (letters, not ``[1]``) and ``$city`` /
``${city}``. Inside braces a type, an enumeration and a default may follow the name:
``{count:int=5}``, ``{tone:formal|casual=formal}``. A parenthesis right after a placeholder adds
to it: ``{tone} (formal|casual)``, ``{n} (default: 3)``. Types come from the name (``date``,
``count``, ``email``, ...) and from the words around (``{n} words`` is an integer, ``in {city}`` a
place). A prompt with no placeholder still has slots: ``in Paris``, ``500 words``, ``into French``,
each a parameter whose default is the value written there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ragplatform.errors import InvalidInput

ParamType = Literal["string", "integer", "number", "boolean"]
Source = Literal["placeholder", "slot", "missing"]
PARAM_TYPES: tuple[ParamType, ...] = ("string", "integer", "number", "boolean")

MAX_PROMPT_CHARS = 20_000
MAX_PARAMETERS = 50


@dataclass(frozen=True)
class Parameter:
    """One input of a prompt. ``span`` is where it stands in the prompt (``None`` for a missing slot);
    ``placeholder`` the text there (``<city>``, or ``Paris`` for a slot)."""

    name: str
    type: ParamType = "string"
    description: str = ""
    default: Any = None
    enum: tuple[str, ...] = ()
    format: str | None = None
    required: bool = True
    source: Source = "placeholder"
    placeholder: str = ""
    span: tuple[int, int] | None = None

    def json_schema(self) -> dict[str, Any]:
        """This parameter as a JSON Schema property."""
        schema: dict[str, Any] = {"type": self.type, "title": self.name.replace("_", " ").capitalize()}
        if self.description:
            schema["description"] = self.description
        if self.enum:
            schema["enum"] = list(self.enum)
        if self.format:
            schema["format"] = self.format
        if self.default is not None:
            schema["default"] = self.default
        return schema


@dataclass(frozen=True)
class PromptForm:
    """What a form to fill a prompt needs: the parameters, a JSON Schema, the defaults, and the
    prompt as a template with every placeholder written ``{name}``."""

    parameters: tuple[Parameter, ...]
    template: str
    schema: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)


def check_prompt(prompt: str, name: str = "prompt") -> str:
    """The prompt, stripped. Raises InvalidInput when it is blank or longer than MAX_PROMPT_CHARS."""
    if not prompt.strip():
        raise InvalidInput(f"{name} must not be blank", field=name, value=prompt)
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidInput(
            f"{name} must be at most {MAX_PROMPT_CHARS} characters, got {len(prompt)}", field=name
        )
    return prompt


def snake(text: str) -> str:
    """``Your Name`` → ``your_name``, ``CityName`` → ``city_name``."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text.strip())
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:64]


# -- placeholders -----------------------------------------------------------------------------

_NAME = r"[A-Za-z][\w .-]{0,40}?"
_SPEC = r"(?::(?P<kind>[^{}=\n]{1,200}))?(?:=(?P<default>[^{}\n]{0,200}))?"
PLACEHOLDER = re.compile(
    r"\{\{\s*(?P<n1>" + _NAME + r")\s*" + _SPEC.replace("kind", "k1").replace("default", "d1") + r"\}\}"
    r"|\$\{(?P<n2>[A-Za-z]\w{0,40})\}"
    r"|(?<![{\w])\{\s*(?P<n3>"
    + _NAME
    + r")\s*"
    + _SPEC.replace("kind", "k3").replace("default", "d3")
    + r"\}(?!\})"
    r"|<(?P<n4>[A-Za-z][\w -]{0,40})>"
    r"|\[(?P<n5>[A-Za-z][\w -]{0,40})\](?!\()"
    r"|(?<![\w$])\$(?P<n6>[A-Za-z_]\w{0,40})"
)
HTML_TAGS = frozenset(
    [
        "a",
        "b",
        "i",
        "u",
        "p",
        "s",
        "br",
        "hr",
        "em",
        "li",
        "ol",
        "ul",
        "tr",
        "td",
        "th",
        "div",
        "span",
        "code",
        "pre",
        "img",
        "sub",
        "sup",
        "strong",
        "small",
        "table",
    ]
)
TYPE_WORDS: dict[str, ParamType] = {
    "str": "string",
    "string": "string",
    "text": "string",
    "int": "integer",
    "integer": "integer",
    "float": "number",
    "number": "number",
    "bool": "boolean",
    "boolean": "boolean",
    "date": "string",
}
AFTER = re.compile(r"\s*\((?P<inside>[^()\n]{1,200})\)")
ENUM_SPLIT = re.compile(r"\s*(?:\||/|,\s*or\s+|,|\s+or\s+)\s*")
DEFAULT_IN = re.compile(r"^(?:default|defaults to|default is)\s*[:=]?\s*(?P<value>.+)$", re.IGNORECASE)
EXAMPLE_IN = re.compile(r"^(?:e\.g\.|eg|for example|example|such as)\s*[:,]?\s*(?P<value>.+)$", re.IGNORECASE)


def _closed_later(prompt: str, name: str, end: int) -> bool:
    return f"</{name}>" in prompt[end:]


def _clean_value(text: str) -> str:
    return text.strip().strip("\"'“”")


def coerce(value: Any, kind: ParamType) -> Any:
    """``value`` as ``kind`` (``"5"`` → 5); ``None`` when it does not fit."""
    if value is None:
        return None
    text = str(value).strip().replace(",", "") if kind in ("integer", "number") else str(value).strip()
    try:
        if kind == "integer":
            return int(float(text)) if re.fullmatch(r"-?\d+(?:\.0+)?", text) else None
        if kind == "number":
            return float(text)
    except ValueError:
        return None
    if kind == "boolean":
        lowered = text.lower()
        return (
            True
            if lowered in ("true", "yes", "1", "on")
            else False
            if lowered in ("false", "no", "0", "off")
            else None
        )
    return text or None


NAME_RULES: tuple[tuple[re.Pattern[str], ParamType, str | None], ...] = (
    (re.compile(r"(^|_)(date|day|deadline|birthday|dob|when)($|_)"), "string", "date"),
    (re.compile(r"(^|_)(time)($|_)"), "string", "time"),
    (re.compile(r"(^|_)e?mail(_address)?($|_)"), "string", "email"),
    (re.compile(r"(^|_)(url|link|website|homepage)($|_)"), "string", "uri"),
    (re.compile(r"^(is|has|include|enable|use|allow)_|(^|_)(flag|enabled)$"), "boolean", None),
    (
        re.compile(
            r"(^|_)(count|num|number|n|k|max|min|limit|age|year|quantity|words|length|size|days|top)($|_)"
        ),
        "integer",
        None,
    ),
    (
        re.compile(r"(^|_)(price|amount|budget|cost|temperature|ratio|score|rate|percent(age)?)($|_)"),
        "number",
        None,
    ),
)
COUNT_AFTER = re.compile(
    r"^\s*[- ]?(?P<unit>words?|sentences?|paragraphs?|bullet points?|bullets?|items?|points?|examples?|"
    r"ideas?|questions?|days?|hours?|minutes?|results?|lines?|steps?|tips?|options?|people|persons?)\b",
    re.IGNORECASE,
)
MONEY_AROUND = re.compile(r"(?:[$€£]\s*$)|(?:^\s*(?:dollars|usd|eur|euros|gbp|pounds)\b)", re.IGNORECASE)
PLACE_BEFORE = re.compile(r"\b(?:in|near|around|at|to|from|visit|visiting)\s+(?:the\s+)?$", re.IGNORECASE)
DATE_BEFORE = re.compile(r"\b(?:on|by|before|after|until|since)\s+$", re.IGNORECASE)


def infer_type(name: str, before: str, after: str) -> tuple[ParamType, str | None, str]:
    """(type, JSON Schema format, a description) of a placeholder from its name and its neighbours."""
    unit = COUNT_AFTER.match(after)
    if unit:
        return "integer", None, f"number of {unit.group('unit').lower()}"
    if MONEY_AROUND.search(before[-3:]) or MONEY_AROUND.match(after):
        return "number", None, "an amount of money"
    for pattern, kind, fmt in NAME_RULES:
        if pattern.search(name):
            return kind, fmt, ""
    if DATE_BEFORE.search(before) and re.search(r"date|day", name):
        return "string", "date", ""
    if PLACE_BEFORE.search(before):
        return "string", None, "a place"
    return "string", None, ""


def _describe(name: str, hint: str) -> str:
    words = name.replace("_", " ")
    return f"{words}: {hint}" if hint and hint not in words else words


def _spec(
    kind_text: str | None, default_text: str | None
) -> tuple[ParamType | None, str | None, tuple[str, ...], Any]:
    kind: ParamType | None = None
    fmt: str | None = None
    enum: tuple[str, ...] = ()
    if kind_text:
        words = kind_text.strip()
        if words.lower() in TYPE_WORDS:
            kind = TYPE_WORDS[words.lower()]
            fmt = "date" if words.lower() == "date" else None
        else:
            enum = tuple(v for v in (_clean_value(x) for x in ENUM_SPLIT.split(words)) if v)
            kind = "string"
    default = _clean_value(default_text) if default_text is not None else None
    return kind, fmt, enum, default or None


def _parenthesis(prompt: str, end: int) -> tuple[tuple[str, ...], Any, str]:
    """(enum, default, example) from a parenthesis right after a placeholder."""
    found = AFTER.match(prompt, end)
    if not found:
        return (), None, ""
    inside = found.group("inside").strip()
    if m := DEFAULT_IN.match(inside):
        return (), _clean_value(m.group("value")), ""
    if m := EXAMPLE_IN.match(inside):
        return (), None, _clean_value(m.group("value"))
    options = [v for v in (_clean_value(x) for x in ENUM_SPLIT.split(inside)) if v]
    if len(options) >= 2 and all(len(o.split()) <= 3 for o in options):
        return tuple(options), None, ""
    return (), None, ""


def placeholder_matches(prompt: str) -> Iterator[tuple[re.Match[str], str]]:
    """Each placeholder match with its snake_case name; XML sections, HTML tags and ``[1]`` skipped."""
    for m in PLACEHOLDER.finditer(prompt):
        groups = m.groupdict()
        raw = next(groups[g] for g in ("n1", "n2", "n3", "n4", "n5", "n6") if groups[g])
        if groups["n4"] and (raw.lower() in HTML_TAGS or _closed_later(prompt, raw, m.end())):
            continue
        name = snake(raw)
        if name:
            yield m, name


def find_placeholders(prompt: str) -> list[Parameter]:
    """The placeholders of ``prompt`` in order of first appearance, one Parameter per name (its
    first span; a later one may add a default or an enumeration)."""
    found: dict[str, Parameter] = {}
    for m, name in placeholder_matches(prompt):
        groups = m.groupdict()
        kind, fmt, enum, default = _spec(groups["k1"] or groups["k3"], groups["d1"] or groups["d3"])
        p_enum, p_default, example = _parenthesis(prompt, m.end())
        before, after = prompt[: m.start()][-40:], prompt[m.end() : m.end() + 40]
        guessed, guessed_fmt, hint = infer_type(name, before, after)
        kind = kind or guessed
        enum = enum or p_enum
        default = coerce(default if default is not None else p_default, kind)
        if enum and default is not None and str(default) not in enum:
            enum = (*enum, str(default))
        if name in found:
            old = found[name]
            merged = old.default if old.default is not None else default
            found[name] = replace(old, enum=old.enum or enum, default=merged, required=merged is None)
            continue
        if len(found) >= MAX_PARAMETERS:
            break
        description = _describe(name, hint) + (f" (e.g. {example})" if example else "")
        found[name] = Parameter(
            name=name,
            type=kind,
            description=description,
            default=default,
            enum=enum,
            format=fmt or guessed_fmt,
            required=default is None,
            source="placeholder",
            placeholder=m.group(0),
            span=(m.start(), m.end()),
        )
    return list(found.values())


def template_of(prompt: str) -> str:
    """``prompt`` with every placeholder rewritten ``{name}``: type and default specs, and the
    parenthesis that gave an enumeration or a default, dropped."""
    out: list[str] = []
    last = 0
    for m, name in placeholder_matches(prompt):
        if m.start() < last:
            continue
        out.append(prompt[last : m.start()])
        out.append("{" + name + "}")
        enum, default, _ = _parenthesis(prompt, m.end())
        after = AFTER.match(prompt, m.end())
        last = after.end() if after and (enum or default is not None) else m.end()
    out.append(prompt[last:])
    return "".join(out)
