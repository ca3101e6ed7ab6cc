"""The one place that turns a GenerationRequest into chat messages.

Every model-backed generator sends the same conversation: a short system prompt
(answer only from the numbered passages, cite them as [1], [2], say "I don't
know" otherwise), the last few history turns, then one user message holding the
numbered passages and the question. Passage numbers always match the position
of the citation in ``request.contexts`` (1-based), so ``[n]`` in an answer
points at ``request.contexts[n - 1]``; passages that do not fit the budget are
dropped from the end, never renumbered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypedDict

from ragplatform.generation.base import GenerationRequest
from ragplatform.schema import Citation

I_DONT_KNOW = "I don't know: the provided documents do not contain the answer to this question."

DEFAULT_SYSTEM_PROMPT = (
    "You answer questions using only the numbered context passages. "
    "Cite the passages you use with their numbers in square brackets, like [1] or [2]. "
    "If the passages do not contain the answer, say that you don't know. "
    "Be brief."
)

DEFAULT_CONTEXT_CHARS = 12_000
"""Characters of passage text sent by default (about 3,000 tokens)."""

DEFAULT_HISTORY_TURNS = 4
HISTORY_CHARS_PER_MESSAGE = 600
MIN_PASSAGE_CHARS = 80


class ChatMessage(TypedDict):
    """One OpenAI-style chat message; Anthropic and Gemini adapters convert from this."""

    role: Literal["system", "user", "assistant"]
    content: str


def _clip(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, at a word boundary when one is near."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    if space > limit * 0.7:
        cut = cut[:space]
    return cut.rstrip() + "…"


def format_contexts(contexts: Sequence[Citation], char_budget: int = DEFAULT_CONTEXT_CHARS) -> str:
    """Number the passages ``[1] title: text`` within ``char_budget`` characters of passage text.

    The budget is shared evenly among as many passages as get at least
    ``MIN_PASSAGE_CHARS`` each (the rest are dropped from the end; the first is
    always kept), and what a short passage leaves unused goes to the ones after it.
    """
    if char_budget < MIN_PASSAGE_CHARS:
        raise ValueError(f"char_budget must be at least {MIN_PASSAGE_CHARS}, got {char_budget}")
    kept = list(contexts)[: max(1, char_budget // MIN_PASSAGE_CHARS)]
    blocks: list[str] = []
    remaining = char_budget
    for i, citation in enumerate(kept):
        text = _clip(citation.text, max(remaining // (len(kept) - i), MIN_PASSAGE_CHARS))
        remaining -= len(text)
        label = citation.title or citation.source
        header = f"[{i + 1}] {label}:" if label else f"[{i + 1}]"
        blocks.append(f"{header} {text}")
    return "\n\n".join(blocks)


def user_message(request: GenerationRequest, char_budget: int = DEFAULT_CONTEXT_CHARS) -> str:
    """The final user turn: numbered passages (or a note that there are none) and the question."""
    if request.contexts:
        context = format_contexts(request.contexts, char_budget)
    else:
        context = "(no passages were found)"
    return f"Context passages:\n{context}\n\nQuestion: {request.question.strip()}"


def build_messages(
    request: GenerationRequest,
    *,
    context_chars: int = DEFAULT_CONTEXT_CHARS,
    history_turns: int = DEFAULT_HISTORY_TURNS,
) -> list[ChatMessage]:
    """System prompt, the last ``history_turns`` (question, answer) pairs, then the passages and question.

    ``request.system_prompt`` replaces the default instructions when given; a
    ``request.conversation`` is sent as it is instead (roles other than system and assistant
    count as user). Raises ``ValueError`` when ``context_chars`` is below ``MIN_PASSAGE_CHARS``.
    """
    if request.conversation:
        return [
            {
                "role": "system" if role == "system" else "assistant" if role == "assistant" else "user",
                "content": content,
            }
            for role, content in request.conversation
        ]
    messages: list[ChatMessage] = [
        {"role": "system", "content": request.system_prompt or DEFAULT_SYSTEM_PROMPT}
    ]
    turns = list(request.history)[-history_turns:] if history_turns > 0 else []
    for question, answer in turns:
        if not question.strip() or not answer.strip():
            continue  # an empty turn breaks providers that require strictly alternating, non-empty turns
        messages.append({"role": "user", "content": _clip(question, HISTORY_CHARS_PER_MESSAGE)})
        messages.append({"role": "assistant", "content": _clip(answer, HISTORY_CHARS_PER_MESSAGE)})
    messages.append({"role": "user", "content": user_message(request, context_chars)})
    return messages


def split_system(messages: Sequence[ChatMessage]) -> tuple[str, list[ChatMessage]]:
    """Separate the system text from the turns, for APIs that take it apart (Anthropic, Gemini)."""
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    return system, [m for m in messages if m["role"] != "system"]


def estimate_tokens(text: str) -> int:
    """Rough token count (4 characters a token) for providers that report none."""
    return max(1, (len(text) + 3) // 4) if text else 0
