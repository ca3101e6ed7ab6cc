"""The slots of a question that has no placeholders, found by rules: ``in Paris`` (a place),
``500 words`` (a count), ``into French`` (a language), ``on 2025-03-01`` (a date), ``about climate
change`` (a topic), ``formal tone``, ``for beginners``. Each becomes a parameter whose default is the
text written there, so a form can change it. A request to find or recommend something with no place
gets a ``location`` slot marked missing: the question cannot be answered well without one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ragplatform.prompts.parameters import MAX_PARAMETERS, Parameter, ParamType, snake

LANGUAGES = [
    "English",
    "French",
    "German",
    "Spanish",
    "Italian",
    "Portuguese",
    "Dutch",
    "Swedish",
    "Norwegian",
    "Danish",
    "Finnish",
    "Polish",
    "Czech",
    "Greek",
    "Turkish",
    "Russian",
    "Ukrainian",
    "Arabic",
    "Hebrew",
    "Hindi",
    "Bengali",
    "Chinese",
    "Mandarin",
    "Cantonese",
    "Japanese",
    "Korean",
    "Vietnamese",
    "Thai",
    "Indonesian",
    "Malay",
    "Swahili",
]
TONES = ("formal", "informal", "casual", "friendly", "professional", "humorous", "persuasive", "neutral")
AUDIENCES = [
    "beginners",
    "children",
    "kids",
    "students",
    "experts",
    "developers",
    "engineers",
    "managers",
    "executives",
    "customers",
    "teenagers",
    "adults",
    "seniors",
    "researchers",
    "doctors",
    "lawyers",
]
UNITS = {
    "word": "word_count",
    "sentence": "sentence_count",
    "paragraph": "paragraph_count",
    "bullet": "bullet_count",
    "bullet point": "bullet_count",
    "point": "point_count",
    "item": "item_count",
    "example": "example_count",
    "idea": "idea_count",
    "question": "question_count",
    "tip": "tip_count",
    "step": "step_count",
    "option": "option_count",
    "result": "result_count",
    "day": "days",
    "line": "line_count",
}
NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    )
}
_UNIT = r"(?P<unit>bullet points?|bullets?|words?|sentences?|paragraphs?|points?|items?|examples?|ideas?|questions?|tips?|steps?|options?|results?|days?|lines?)"
_NUMBER = r"(?P<n>\d{1,5}|" + "|".join(NUMBER_WORDS) + r")"
_CAPITALISED = r"[A-Z][\w'.-]*(?:\s+(?:de|del|la|le|of|on|upon)?\s*[A-Z][\w'.-]*)*"

COUNT = re.compile(
    r"\b" + _NUMBER + r"(?:[- ](?:short|long|key|main|simple|concise|brief))?[- ]" + _UNIT + r"\b",
    re.IGNORECASE,
)
LANGUAGE = re.compile(r"\b(?:in|into|to)\s+(?P<value>" + "|".join(LANGUAGES) + r")\b")
PLACE = re.compile(
    r"\b(?:in|near|around|at|from|visit|visiting|(?:trip|travel|fly|flights?|go|going|drive|move|moving)\s+to)\s+(?:the\s+)?(?P<value>"
    + _CAPITALISED
    + r")"
)
DATE = re.compile(
    r"\b(?P<value>\d{4}-\d{2}-\d{2}|(?:mon|tues|wednes|thurs|fri|satur|sun)day|today|tomorrow|tonight|"
    r"next (?:week|month|year|weekend)|this (?:week|weekend|month))\b",
    re.IGNORECASE,
)
TOPIC = re.compile(
    r"\b(?:about|regarding|on the topic of|on(?!\s+(?:a|an)\b))\s+(?!(?:the\s+)?(?:document|text|article|passage|question|following|above|context|it|this|that)\b)(?P<value>[a-z][\w' -]{2,60}?)(?=\s+(?:in|for|with|using|as|to|by|from|and)\b|[.,;:!?\n]|$)"
)
TONE = re.compile(
    r"\b(?:(?:a|an|in a|use a|with a)\s+)?(?P<value>"
    + "|".join(TONES)
    + r")\s+(?:tone|style|voice|manner)\b",
    re.IGNORECASE,
)
AUDIENCE = re.compile(r"\bfor\s+(?:a\s+|an\s+)?(?P<value>" + "|".join(AUDIENCES) + r")\b", re.IGNORECASE)
FIND = re.compile(
    r"^\s*(?:please\s+)?(?:find|recommend|suggest|search for|look for|book|list)\b", re.IGNORECASE
)
NOT_PLACES = frozenset(LANGUAGES) | {
    "JSON",
    "Markdown",
    "English",
    "The",
    "A",
    "An",
    "I",
    "You",
    "CSV",
    "YAML",
    "HTML",
}


def _count(text: str) -> int:
    return NUMBER_WORDS.get(text.lower(), 0) if not text.isdigit() else int(text)


def _slots(prompt: str) -> Iterator[Parameter]:
    for m in COUNT.finditer(prompt):
        unit = (
            m.group("unit").lower().rstrip("s")
            if m.group("unit").lower() != "bullet points"
            else "bullet point"
        )
        name = UNITS.get(unit, snake(unit) + "_count")
        yield _slot(name, "integer", f"number of {unit}s", _count(m.group("n")), m, "n")
    for m in LANGUAGE.finditer(prompt):
        yield _slot("language", "string", "language of the answer", m.group("value"), m)
    for m in PLACE.finditer(prompt):
        if m.group("value").split()[0] not in NOT_PLACES:
            yield _slot("location", "string", "a place", m.group("value"), m)
    for m in DATE.finditer(prompt):
        fmt = "date" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", m.group("value")) else None
        yield _slot("date", "string", "when", m.group("value"), m, fmt=fmt)
    for m in TONE.finditer(prompt):
        yield _slot("tone", "string", "tone of the answer", m.group("value").lower(), m, enum=TONES)
    for m in AUDIENCE.finditer(prompt):
        yield _slot("audience", "string", "who the answer is for", m.group("value").lower(), m)
    for m in TOPIC.finditer(prompt):
        yield _slot("topic", "string", "what it is about", m.group("value").strip(), m)


def _slot(
    name: str,
    kind: ParamType,
    description: str,
    value: object,
    m: re.Match[str],
    group: str = "value",
    fmt: str | None = None,
    enum: tuple[str, ...] = (),
) -> Parameter:
    return Parameter(
        name=name,
        type=kind,
        description=description,
        default=value,
        enum=enum,
        format=fmt,
        required=False,
        source="slot",
        placeholder=m.group(group),
        span=m.span(group),
    )


def find_slots(prompt: str, taken: Sequence[Parameter] = ()) -> list[Parameter]:
    """Slots of ``prompt`` that overlap none of ``taken`` (its placeholders) and none another, by
    position; one per name. A find/recommend request with no place gets a missing ``location``."""
    spans = [p.span for p in taken if p.span]
    names = {p.name for p in taken}
    found: list[Parameter] = []
    for slot in sorted(_slots(prompt), key=lambda p: p.span or (0, 0)):
        start, end = slot.span or (0, 0)
        if slot.name in names or any(start < e and s < end for s, e in spans):
            continue
        found.append(slot)
        names.add(slot.name)
        spans.append((start, end))
    if FIND.search(prompt) and "location" not in names and not taken:
        found.append(
            Parameter(
                name="location",
                description="where to look: the request names no place",
                required=True,
                source="missing",
            )
        )
    return found[:MAX_PARAMETERS]
