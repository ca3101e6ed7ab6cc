"""Corpus selection: which files and content rows an IndexSpec takes in, and their fingerprint."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ragplatform.content.base import ContentStore, EmergencyContact, Event, FaqItem
from ragplatform.errors import InvalidInput
from ragplatform.ingest.readers import SUPPORTED_EXTENSIONS
from ragplatform.spec import CorpusSpec


@dataclass(frozen=True)
class ContentRows:
    faqs: list[FaqItem]
    events: list[Event]
    contacts: list[EmergencyContact]

    @classmethod
    def load(cls, store: ContentStore | None, include: bool) -> ContentRows:
        if store is None or not include:
            return cls([], [], [])
        return cls(
            faqs=_all(lambda skip: store.list_faqs(skip=skip, limit=500, active_only=True)),
            events=_all(lambda skip: store.list_events(skip=skip, limit=500, active_only=True)),
            contacts=_all(lambda skip: store.list_contacts(skip=skip, limit=500, active_only=True)),
        )

    def stamps(self) -> Iterable[str]:
        for kind, rows in (("faq", self.faqs), ("event", self.events), ("contact", self.contacts)):
            for row in rows:
                yield f"{kind}:{row.id}:{row.updated_at.isoformat()}"


def _all(page: object) -> list:  # type: ignore[type-arg]
    out: list = []  # type: ignore[type-arg]
    skip = 0
    while True:
        batch = page(skip)  # type: ignore[operator]
        out.extend(batch)
        if len(batch) < 500:
            return out
        skip += 500


def resolve_paths(spec: CorpusSpec, datasets_dir: Path) -> list[Path]:
    """The spec's paths made absolute; raises InvalidInput for one that does not exist."""
    roots = []
    for raw in spec.paths:
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = datasets_dir / path
        if not path.exists():
            raise InvalidInput(
                f"corpus path {raw!r} does not exist (looked in {path})", field="corpus.paths", value=raw
            )
        roots.append(path.resolve())
    return roots


def corpus_files(roots: list[Path], extensions: tuple[str, ...]) -> list[Path]:
    allowed = {e.lower().lstrip(".") for e in (extensions or SUPPORTED_EXTENSIONS)}
    files: list[Path] = []
    for root in roots:
        candidates = [root] if root.is_file() else sorted(root.rglob("*"))
        for f in candidates:
            rel_parts = f.relative_to(root).parts if f != root else (f.name,)
            hidden = any(p.startswith(".") for p in rel_parts)
            if f.is_file() and not hidden and f.suffix.lower().lstrip(".") in allowed:
                files.append(f)
    return files


def fingerprint(files: list[Path], rows: ContentRows) -> str:
    """Cheap identity of the corpus: file paths, sizes and mtimes, plus content-row versions."""
    h = hashlib.sha256()
    for f in files:
        st = f.stat()
        h.update(f"{f}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    for stamp in rows.stamps():
        h.update(stamp.encode() + b"\n")
    return h.hexdigest()[:16]
