"""What a generator chain holds: whether any link of it is a language model, as opposed to the
extractive answerer (``OFFLINE``), which quotes passages and cannot follow instructions. Features
that need a model (LLM lead qualification, the prompt compiler's structured output) ask this and
use their rules otherwise."""

from __future__ import annotations

from ragplatform.generation.base import Generator

OFFLINE = "extractive"  # the generator that is no LLM


def has_llm(generator: Generator) -> bool:
    """Whether ``generator`` (or a link of its fallback chain) is a model, not the extractive answerer."""
    chain = getattr(generator, "generators", None) or (generator,)
    return any(getattr(link, "name", OFFLINE) != OFFLINE for link in chain)
