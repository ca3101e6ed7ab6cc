"""Chat completions for a named model (API 05's AI Suite, ``POST /api/v1/aisuite/chat``): a whole
conversation sent as it is to ``provider:model`` through the provider mapping
(``generation/providers.py``), with no retrieval and nothing stored.

The limits live here, and the API's schema shows them: at most ``MAX_MESSAGES`` messages of at most
``MAX_MESSAGE_CHARS`` characters each, the last one the user's, a temperature of 0 to 2 and at most
``MAX_COMPLETION_TOKENS`` tokens of answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from ragplatform.errors import BadRequest
from ragplatform.generation.base import GenerationRequest, GenerationStats
from ragplatform.generation.providers import ModelGenerators, parse_model_ref

ROLES: Final = ("system", "user", "assistant")
MAX_MESSAGES: Final = 100
MAX_MESSAGE_CHARS: Final = 32_000
MAX_COMPLETION_TOKENS: Final = 8192
MAX_TEMPERATURE: Final = 2.0


@dataclass
class Completion:
    """A completion under way: ``pieces`` streams the answer (its first piece already received, so
    a provider that cannot answer has already raised); ``stats`` fills in as it streams."""

    model: str
    pieces: Iterator[str]
    stats: GenerationStats = field(default_factory=GenerationStats)


def check_messages(messages: Sequence[tuple[str, str]]) -> None:
    """Raises BadRequest naming the message that breaks a limit."""
    if not 1 <= len(messages) <= MAX_MESSAGES:
        raise BadRequest(
            f"messages must hold 1 to {MAX_MESSAGES} messages, got {len(messages)}",
            field="messages",
            value=len(messages),
        )
    for i, (role, content) in enumerate(messages):
        if role not in ROLES:
            raise BadRequest(
                f"messages[{i}].role must be one of {', '.join(ROLES)}, got {role!r}",
                field=f"messages.{i}.role",
                value=role,
            )
        if len(content) > MAX_MESSAGE_CHARS:
            raise BadRequest(
                f"messages[{i}].content is {len(content)} characters long; the limit is {MAX_MESSAGE_CHARS}",
                field=f"messages.{i}.content",
                value=len(content),
            )
    role, content = messages[-1]
    if role != "user" or not content.strip():
        raise BadRequest(
            "the last message must be the user's, with some text",
            field=f"messages.{len(messages) - 1}",
        )


def start_completion(
    models: ModelGenerators,
    model: str,
    messages: Sequence[tuple[str, str]],
    *,
    temperature: float,
    max_tokens: int,
) -> Completion:
    """Sends ``messages`` to ``model`` (``provider:model``) and waits for the first piece.

    Raises BadRequest for a malformed model, an unknown provider, a provider that is not
    configured (naming the setting to add) or a request out of the limits; BackendUnavailable when
    the provider cannot be reached or refuses to answer.
    """
    if not 0.0 <= temperature <= MAX_TEMPERATURE:
        raise BadRequest(
            f"temperature must be between 0 and {MAX_TEMPERATURE:g}, got {temperature}",
            field="temperature",
            value=temperature,
        )
    if not 1 <= max_tokens <= MAX_COMPLETION_TOKENS:
        raise BadRequest(
            f"max_tokens must be between 1 and {MAX_COMPLETION_TOKENS}, got {max_tokens}",
            field="max_tokens",
            value=max_tokens,
        )
    check_messages(messages)
    provider, name = parse_model_ref(model)
    generator = models.get(provider, name)
    request = GenerationRequest(
        question=messages[-1][1],
        conversation=tuple(messages),
        max_tokens=max_tokens,
        temperature=temperature,
    )
    stats = GenerationStats()
    stream = generator.stream(request, stats)
    first = next(stream, None)
    return Completion(f"{provider}:{name}", itertools.chain([first] if first else [], stream), stats)
