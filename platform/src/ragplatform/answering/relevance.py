"""The relevance cut: which retrieved hits an answer may read. One rule for the served answers
(``AnswerService``) and for offline evaluation (``evaluation.evaluate``), so a version is judged
by the answers it would really give."""

from __future__ import annotations

from collections.abc import Sequence

from ragplatform.schema import SearchHit


def relevant_hits(hits: Sequence[SearchHit], max_distance: float) -> list[SearchHit]:
    """Hits close enough to answer from. Dense distance decides where the engine reports it: none
    within ``max_distance`` means nothing relevant; keyword-only hits (no distance) count beside
    relevant dense ones, and alone when no hit carries a distance (keyword mode)."""
    with_distance = [h for h in hits if h.distance is not None]
    if not with_distance:
        return list(hits)
    if not any(h.distance is not None and h.distance <= max_distance for h in with_distance):
        return []
    return [h for h in hits if h.distance is None or h.distance <= max_distance]
