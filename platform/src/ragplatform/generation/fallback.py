"""A chain of generators tried in order, and the provider keys the factory maps to constructors.

The contract with callers: a generator that raises ``BackendUnavailable``
*before its first piece* is skipped. The switch is logged at WARNING
(``generation fell back from openai to extractive: ...``) and recorded in
``stats.fallbacks``. A generator that fails *after* it yielded text is not
replaced: the user has already seen part of that answer, and appending another
provider's answer would produce a garbled one. The stream then ends by
re-raising that error, and the caller (``ragserve``) turns it into an error
event after the pieces it already sent. If every generator is unavailable the
chain raises ``BackendUnavailable`` naming each reason.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Final, Literal

from ragplatform.closing import close_quietly
from ragplatform.errors import BackendUnavailable, InvalidInput
from ragplatform.generation.base import GenerationRequest, GenerationStats, Generator

ProviderKey = Literal["local", "openai", "ollama", "anthropic", "gemini", "huggingface", "extractive"]

PROVIDER_KEYS: Final[tuple[ProviderKey, ...]] = (
    "local",
    "openai",
    "ollama",
    "anthropic",
    "gemini",
    "huggingface",
    "extractive",
)
"""Names a setting may use for a generator; each generator's ``name`` is its key."""

DEFAULT_CHAIN: Final[tuple[ProviderKey, ...]] = ("local", "extractive")


def parse_provider_chain(value: str | Sequence[str]) -> tuple[ProviderKey, ...]:
    """Validate a chain such as ``"openai,local,extractive"``; raises ``InvalidInput`` naming the bad key."""
    items = value.split(",") if isinstance(value, str) else list(value)
    keys = [item.strip().lower() for item in items if item.strip()]
    if not keys:
        raise InvalidInput(
            f"the generator chain is empty; use some of {', '.join(PROVIDER_KEYS)}", field="providers"
        )
    chain: list[ProviderKey] = []
    for key in keys:
        match = next((k for k in PROVIDER_KEYS if k == key), None)
        if match is None:
            raise InvalidInput(
                f"unknown generator {key!r}; allowed: {', '.join(PROVIDER_KEYS)}",
                field="providers",
                value=key,
            )
        chain.append(match)
    return tuple(chain)


class FallbackGenerator:
    """Streams from the first generator in ``generators`` that can answer (see the module docstring)."""

    name = "fallback"

    def __init__(self, generators: Sequence[Generator], logger: logging.Logger | None = None) -> None:
        if not generators:
            raise ValueError("FallbackGenerator needs at least one generator")
        self.generators = tuple(generators)
        self.logger = logger or logging.getLogger(__name__)

    def close(self) -> None:
        """Closes every generator of the chain (HTTP clients, the local model)."""
        for generator in self.generators:
            close_quietly(generator)

    def stream(self, request: GenerationRequest, stats: GenerationStats | None = None) -> Iterator[str]:
        """Yield the pieces of the first generator that starts answering.

        Raises ``BackendUnavailable`` when all generators are unavailable, and
        re-raises whatever a generator raises after it has yielded a piece.
        """
        stats = stats if stats is not None else GenerationStats()
        reasons: list[str] = []
        for index, generator in enumerate(self.generators):
            stats.provider, stats.model = generator.name, ""
            stats.prompt_tokens = stats.completion_tokens = 0
            pieces = generator.stream(request, stats)
            started = False
            try:
                for piece in pieces:
                    started = True
                    yield piece
                return
            except BackendUnavailable as exc:
                if started:
                    raise
                reasons.append(f"{generator.name}: {exc.message}")
                if index + 1 < len(self.generators):
                    self._record_switch(generator.name, self.generators[index + 1].name, exc, stats)
            finally:
                close = getattr(pieces, "close", None)
                if close is not None:
                    close()
        raise BackendUnavailable("no generator could answer: " + "; ".join(reasons))

    def _record_switch(
        self, source: str, target: str, exc: BackendUnavailable, stats: GenerationStats
    ) -> None:
        self.logger.warning("generation fell back from %s to %s: %s", source, target, exc.message)
        stats.fallbacks.append(f"{source} -> {target}: {exc.message}")
