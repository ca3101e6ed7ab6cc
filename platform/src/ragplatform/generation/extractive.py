"""A model-free answerer: the context sentences that best match the question, each with its citation.

The last link of every fallback chain, so it never fails and needs nothing:
sentences are scored with BM25 against the question (IDF over all context
sentences), a small bonus goes to better-ranked passages, and the best one (plus
a second that scores nearly as well) is returned with its ``[n]`` marker.
Without contexts, or when no sentence shares a content word with the
question, it says it does not know. Deterministic: same request, same answer.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ragplatform.generation.base import GenerationRequest, GenerationStats
from ragplatform.generation.prompt import I_DONT_KNOW, estimate_tokens
from ragplatform.schema import Citation

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n\s*\n|\n(?=\s*[-*•\d])")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_PIECE = re.compile(r"\S+\s*")

# fmt: off
STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did", "do",
    "does", "for", "from", "had", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its",
    "me", "my", "no", "not", "of", "on", "or", "our", "should", "so", "than", "that", "the", "their",
    "them", "then", "there", "these", "they", "this", "to", "was", "we", "were", "what", "when",
    "where", "which", "who", "whom", "why", "will", "with", "would", "you", "your", "about", "also",
    "any", "each", "more", "most", "other", "some", "such", "only", "own", "same", "very", "just",
    "tell", "please",
})
# fmt: on

K1, B = 1.2, 0.75
RANK_BONUS = 0.05
SECOND_SENTENCE_RATIO = 0.6
MAX_SENTENCE_CHARS = 400
NOVELTY_FULL = 0.5  # share of new words at which a sentence gets no echo penalty
QUESTION_PENALTY = 0.3


def tokenize(text: str) -> list[str]:
    """Lowercased content words with a light plural strip (``policies`` ~ ``policy``, ``rooms`` ~ ``room``)."""
    words = []
    for word in _WORD.findall(text.lower()):
        word = re.sub(r"['’]s$", "", word).replace("'", "").replace("’", "")
        if word in STOPWORDS:
            continue
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    return words


def split_sentences(text: str) -> list[str]:
    """Sentences and list items of a passage, whitespace-normalised, empty ones dropped."""
    parts = (" ".join(p.split()) for p in _SENTENCE_END.split(text))
    return [p for p in parts if len(p) > 1]


@dataclass(frozen=True)
class ScoredSentence:
    """A candidate sentence, where it came from (1-based passage number), and its score."""

    text: str
    passage: int
    position: int
    score: float


def score_sentences(question: str, contexts: Sequence[Citation]) -> list[ScoredSentence]:
    """Every context sentence scored by BM25 against the question, best first (ties: earlier passage first)."""
    query = set(tokenize(question))
    candidates = [
        (sentence, n, pos, tokenize(sentence))
        for n, citation in enumerate(contexts, start=1)
        for pos, sentence in enumerate(split_sentences(citation.text))
    ]
    if not candidates or not query:
        return []
    doc_freq: Counter[str] = Counter()
    for *_, tokens in candidates:
        doc_freq.update(set(tokens))
    total = len(candidates)
    avg_len = sum(len(t) for *_, t in candidates) / total or 1.0
    scored = []
    for sentence, n, pos, tokens in candidates:
        tf = Counter(tokens)
        norm = K1 * (1 - B + B * len(tokens) / avg_len)
        score = sum(
            math.log(1 + (total - doc_freq[term] + 0.5) / (doc_freq[term] + 0.5))
            * tf[term]
            * (K1 + 1)
            / (tf[term] + norm)
            for term in query
            if term in tf
        )
        if score > 0:
            score *= (1 + RANK_BONUS / n) * _informativeness(sentence, set(tokens), query)
        scored.append(ScoredSentence(sentence, n, pos, score))
    scored.sort(key=lambda s: (-s.score, s.passage, s.position))
    return scored


def _informativeness(sentence: str, tokens: set[str], query: set[str]) -> float:
    """A multiplier in (0, 1]: an answer adds words the question lacks, and is not itself a question.
    Keeps a sentence that merely repeats the question (e.g. an example question in an FAQ) from winning."""
    novelty = len(tokens - query) / len(tokens) if tokens else 0.0
    factor = 0.5 + 0.5 * min(1.0, novelty / NOVELTY_FULL)
    if "?" in sentence:
        factor *= QUESTION_PENALTY
    return factor


def cite(sentence: str, passage: int) -> str:
    """``"Lot B is free."`` → ``"Lot B is free [2]."``: the marker goes before the closing punctuation."""
    if len(sentence) > MAX_SENTENCE_CHARS:
        sentence = sentence[: MAX_SENTENCE_CHARS - 1] + "…"
    body, end = (sentence[:-1], sentence[-1]) if sentence[-1] in ".!?" else (sentence, ".")
    return f"{body.rstrip()} [{passage}]{end}"


def _passages(request: GenerationRequest) -> Sequence[Citation]:
    if request.contexts or not request.conversation:
        return request.contexts
    earlier = request.conversation[:-1]
    return [
        Citation(f"message/{i}", f"message/{i}", role, 1.0, text=content)
        for i, (role, content) in enumerate(earlier, start=1)
    ]


class ExtractiveGenerator:
    """Answers with the best-matching context sentence(s) and their ``[n]`` citations; no model, no I/O."""

    name = "extractive"
    model = "bm25-sentences"

    def answer(self, request: GenerationRequest) -> str:
        """The whole answer at once (what ``stream`` yields, joined). With a ``conversation`` and no
        contexts, the messages before the question are the passages (``[1]`` the first)."""
        scored = score_sentences(request.question, _passages(request))
        if not scored or scored[0].score <= 0:
            return I_DONT_KNOW
        best = scored[0]
        chosen = [best]
        for other in scored[1:]:
            if other.score < best.score * SECOND_SENTENCE_RATIO:
                break
            if other.text != best.text:
                chosen.append(other)
                break
        chosen.sort(key=lambda s: (s.passage, s.position))
        return " ".join(cite(s.text, s.passage) for s in chosen)

    def stream(self, request: GenerationRequest, stats: GenerationStats | None = None) -> Iterator[str]:
        """Yield the answer word by word. Never raises for any request."""
        stats = stats if stats is not None else GenerationStats()
        stats.provider, stats.model = self.name, self.model
        text = self.answer(request)
        stats.prompt_tokens = estimate_tokens(request.question + "".join(c.text for c in request.contexts))
        stats.completion_tokens = estimate_tokens(text)
        yield from _PIECE.findall(text)
