"""Small value types shared by ingestion, indexing, retrieval and answering."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


def text_hash(text: str) -> str:
    """Stable content hash used for chunk ids and the embedding cache."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Document:
    """A parsed source document before chunking.

    ``metadata`` carries at least ``source`` (path, URL or content-row key) and
    ``title``; optionally ``owner`` and ``chat_id`` (user documents), ``kind``
    (file, faq, event, contact), ``page`` or ``section``.
    """

    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A piece of a document: the unit that is embedded, indexed and cited.

    The first-class fields are the ones every vector engine stores as columns
    and can filter on; anything else goes in ``extra``.
    """

    id: str
    doc_id: str
    text: str
    source: str = ""
    title: str = ""
    section: str = ""
    owner: str = ""
    chat_id: str = ""
    kind: str = "file"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        return text_hash(self.text)


FILTERABLE_FIELDS = ("doc_id", "source", "title", "section", "owner", "chat_id", "kind")


@dataclass(frozen=True)
class SearchHit:
    """One retrieved chunk with its score (higher is better) and, for dense hits, its distance."""

    chunk: Chunk
    score: float
    distance: float | None = None


@dataclass(frozen=True)
class Citation:
    """What an answer cites: enough for a person to find the passage again."""

    chunk_id: str
    source: str
    title: str
    score: float
    section: str = ""
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The stored and sent form of a citation, the same in every dialect and in the session store."""
        return {
            "chunk_id": self.chunk_id,
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "score": self.score,
            "text": self.text,
        }

    @classmethod
    def from_hit(cls, hit: SearchHit, snippet_chars: int | None = None) -> Citation:
        """``text`` is the whole chunk (what the generator reads) unless ``snippet_chars`` cuts it."""
        c = hit.chunk
        return cls(
            chunk_id=c.id,
            source=c.source,
            title=c.title,
            score=round(float(hit.score), 6),
            section=c.section,
            text=c.text if snippet_chars is None else c.text[:snippet_chars],
        )
