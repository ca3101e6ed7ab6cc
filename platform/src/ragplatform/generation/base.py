"""Generator: streaming answer generation from a question and retrieved contexts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from ragplatform.schema import Citation


@dataclass(frozen=True)
class GenerationRequest:
    """Everything a generator needs. ``contexts`` are the cited passages, best first;
    ``history`` the conversation so far as (question, answer) pairs, oldest first.
    ``conversation``, when given, is a whole chat as (role, content) messages (role ``system``,
    ``user`` or ``assistant``, the last a ``user`` turn whose text is ``question``): sent as it is,
    without the passages prompt, as API 05's AI Suite asks."""

    question: str
    contexts: Sequence[Citation] = ()
    history: Sequence[tuple[str, str]] = ()
    system_prompt: str | None = None
    max_tokens: int = 256
    temperature: float = 0.1
    conversation: Sequence[tuple[str, str]] = ()


@dataclass
class GenerationStats:
    """Filled in by a generator while it streams (tokens may be estimates where a provider gives none)."""

    provider: str = ""
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    fallbacks: list[str] = field(default_factory=list)


@runtime_checkable
class Generator(Protocol):
    """Streams answer text. Raises ``BackendUnavailable`` when the provider cannot be reached
    (before the first piece where it can tell), so a fallback chain can move on."""

    @property
    def name(self) -> str: ...
    def stream(self, request: GenerationRequest, stats: GenerationStats | None = None) -> Iterator[str]: ...
