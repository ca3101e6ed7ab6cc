"""Helpers for the upload tests: a model-free embedder, one test's stores, and storage faults made
for real (read-only folders, a full disk)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ragplatform.answering.service import USER_DOCUMENTS
from ragplatform.content.base import ContentStore
from ragplatform.documents.links import DownloadLinks
from ragplatform.documents.service import DocumentService
from ragplatform.files.local import LocalFileStore
from ragplatform.settings import DocumentSettings
from ragplatform.vectorindex.lancedb import LanceDBVectorIndex


class BagOfWordsEmbedder:
    """A deterministic Embedder: hashed word counts (no model to load)."""

    model_id = "test/bag-of-words"
    dim = 64

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1
            out[row, 0] += 1e-3  # never the zero vector
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


def make_service(root: Path, content: ContentStore, **limits: int) -> DocumentService:
    """Files and LanceDB under ``root``, the given content store, ``DocumentSettings(**limits)``."""
    return DocumentService(
        content,
        LocalFileStore(root / "files"),
        LanceDBVectorIndex(root / "lancedb", optimize_after_rows=None),
        BagOfWordsEmbedder(),
        limits=DocumentSettings(**limits),
        links=DownloadLinks("a-test-secret", default_ttl_s=60),
    )


@dataclass
class Stores:
    """One test's stores, where they live, and the owner the test uploads as."""

    root: Path
    service: DocumentService
    owner: str

    @property
    def files_dir(self) -> Path:
        return self.root / "files"

    @property
    def lancedb_dir(self) -> Path:
        return self.root / "lancedb"

    def stored_files(self) -> list[Path]:
        """Every file under the files folder, temporary ones included."""
        return sorted(p for p in self.files_dir.rglob("*") if p.is_file())

    def chunks(self) -> int:
        index = self.service.index
        if not index.has_collection(USER_DOCUMENTS):
            return 0
        return index.count(USER_DOCUMENTS, {"owner": self.owner})

    def assert_nothing_stored(self) -> None:
        assert self.service.content.list_documents(owner=self.owner) == []
        assert self.stored_files() == []
        assert self.chunks() == 0
