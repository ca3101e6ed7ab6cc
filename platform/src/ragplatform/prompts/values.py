"""The values of a prompt's parameters found in a filled-in text, each with the span it came from.

With the template the text was filled from (``Find {cuisine} restaurants in {city}``), the text is
matched against it and every span is exact. Without one, each parameter is looked for by rules: a
value of its enumeration, a date, an e-mail, a URL, a number before a unit its name gives
(``word_count`` → ``200 words``), ``name: value`` or ``name is value``, and the slot rules (``in
Paris`` for a place, ``into French`` for a language).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ragplatform.prompts.parameters import Parameter, check_prompt, coerce, placeholder_matches
from ragplatform.prompts.slots import AUDIENCE, COUNT, LANGUAGE, PLACE, TOPIC, _count


@dataclass(frozen=True)
class FoundValue:
    """``value`` (typed per its parameter) read from ``text[start:end]``; ``method`` says which rule."""

    name: str
    value: Any
    start: int
    end: int
    text: str
    method: str


TEMPLATE_GROUP = r"(?P<{name}>.+?)"


def _template_regex(template: str, names: set[str]) -> re.Pattern[str] | None:
    parts: list[str] = []
    last = 0
    seen: set[str] = set()
    for m, name in placeholder_matches(template):
        if name not in names or m.start() < last:
            continue
        parts.append(re.escape(template[last : m.start()]))
        parts.append(f"(?P={name})" if name in seen else TEMPLATE_GROUP.format(name=name))
        seen.add(name)
        last = m.end()
    if not seen:
        return None
    parts.append(re.escape(template[last:].rstrip()))
    pattern = "".join(parts).replace(r"\ ", r"\s+")
    try:
        return re.compile(r"\s*" + pattern + r"\s*$", re.DOTALL)
    except re.error:
        return None


def _from_template(text: str, template: str, by_name: dict[str, Parameter]) -> list[FoundValue]:
    regex = _template_regex(template, set(by_name))
    match = regex.match(text) if regex else None
    if match is None:
        return []
    found: list[FoundValue] = []
    for name, raw in match.groupdict().items():
        start, end = match.span(name)
        value = coerce(raw, by_name[name].type)
        if value is not None:
            found.append(FoundValue(name, value, start, end, raw, "template"))
    return found


def _words(name: str) -> str:
    return r"[\s_-]*".join(re.escape(w) for w in name.split("_") if w)


def _rules(p: Parameter) -> list[tuple[str, re.Pattern[str]]]:
    """The patterns that may hold ``p``'s value, most specific first; each has a ``value`` group."""
    rules: list[tuple[str, re.Pattern[str]]] = []
    if p.enum:
        options = "|".join(re.escape(o) for o in sorted(p.enum, key=len, reverse=True))
        rules.append(("enum", re.compile(r"\b(?P<value>" + options + r")\b", re.IGNORECASE)))
    label = _words(p.name)
    rules.append(
        (
            "label",
            re.compile(
                r"\b"
                + label
                + r"\s*(?:[:=]|\bis\b|\bof\b)\s*\"?(?P<value>[^\n\",;.]+?)\"?\s*(?=[\n,;]|\.(?:\s|$)|$)",
                re.IGNORECASE,
            ),
        )
    )
    if p.format == "date":
        rules.append(("date", re.compile(r"\b(?P<value>\d{4}-\d{2}-\d{2})\b")))
    elif p.format == "email":
        rules.append(("email", re.compile(r"(?P<value>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)")))
    elif p.format == "uri":
        rules.append(("url", re.compile(r"(?P<value>https?://[^\s\"'<>)]+)")))
    if p.type in ("integer", "number"):
        unit = re.sub(r"_?(count|number|num|n)$|^(num|number|n)_", "", p.name)
        if unit:
            stem = re.escape(unit.rstrip("s"))
            rules.append(
                (
                    "unit",
                    re.compile(
                        r"(?P<value>\d[\d,]*(?:\.\d+)?)[- ]?(?:\w+[- ])?" + stem + r"s?\b", re.IGNORECASE
                    ),
                )
            )
        if re.search(r"price|amount|budget|cost", p.name):
            rules.append(("money", re.compile(r"[$€£]\s*(?P<value>\d[\d,]*(?:\.\d+)?)")))
        if re.fullmatch(r"(?:[a-z]+_)?count|n|number", p.name) or p.name.endswith("_count"):
            rules.append(("count", COUNT))
    if p.type in ("integer", "number"):  # the last resort: a bare number that is no part of a date
        rules.append(("number", re.compile(r"(?<![\w.:-])(?P<value>\d[\d,]*(?:\.\d+)?)(?![\w:-]|\.\d)")))
    named = {
        "language": LANGUAGE,
        "audience": AUDIENCE,
        "topic": TOPIC,
    }
    for key, pattern in named.items():
        if key in p.name:
            rules.append((key, pattern))
    if (
        re.search(r"city|location|place|country|destination|town|region|where", p.name)
        or "place" in p.description
    ):
        rules.append(("place", PLACE))
    return rules


def _by_rules(text: str, p: Parameter, taken: list[tuple[int, int]]) -> FoundValue | None:
    for method, pattern in _rules(p):
        for m in pattern.finditer(text):
            group = "n" if method == "count" else "value"
            start, end = m.span(group)
            if any(start < e and s < end for s, e in taken):
                continue
            raw = m.group(group)
            value = _count(raw) if method == "count" else coerce(raw, p.type)
            if method == "enum":
                value = next(o for o in p.enum if o.lower() == raw.lower())
            if value is not None:
                return FoundValue(p.name, value, start, end, raw, method)
    return None


def extract_values(
    text: str, parameters: Sequence[Parameter], template: str | None = None
) -> tuple[list[FoundValue], list[str]]:
    """The values found in ``text`` (in the parameters' order) and the names of those not found.
    Raises InvalidInput for a blank text or one over MAX_PROMPT_CHARS."""
    check_prompt(text)
    by_name = {p.name: p for p in parameters}
    found = {v.name: v for v in _from_template(text, template, by_name)} if template else {}
    taken = [(v.start, v.end) for v in found.values()]
    for p in parameters:
        if p.name in found:
            continue
        value = _by_rules(text, p, taken)
        if value is not None:
            found[p.name] = value
            taken.append((value.start, value.end))
    ordered = [found[p.name] for p in parameters if p.name in found]
    return ordered, [p.name for p in parameters if p.name not in found]
