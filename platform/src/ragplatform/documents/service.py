"""User documents: uploaded files parsed and written to the live per-owner collection,
searchable by their owner at once (design: "Two kinds of collections")."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from pathlib import PurePath

from ragplatform.answering.service import USER_DOCUMENTS
from ragplatform.content.base import ContentStore, DocumentCreate, DocumentRecord
from ragplatform.embeddings.base import Embedder
from ragplatform.errors import InvalidInput, NotFound, RagPlatformError, TooLarge
from ragplatform.files.base import FileStore
from ragplatform.ingest.chunking import chunk_documents
from ragplatform.ingest.readers import parse_bytes
from ragplatform.schema import Chunk, text_hash
from ragplatform.spec import ChunkingSpec
from ragplatform.vectorindex.base import VectorIndex

log = logging.getLogger(__name__)


class DocumentService:
    def __init__(
        self,
        content: ContentStore,
        files: FileStore,
        index: VectorIndex,
        embedder: Embedder,
        chunking: ChunkingSpec | None = None,
        max_bytes: int = 20 * 1024 * 1024,
    ) -> None:
        self.content = content
        self.files = files
        self.index = index
        self.embedder = embedder
        self.chunking = chunking or ChunkingSpec()
        self.max_bytes = max_bytes

    def _collection(self) -> str:
        if not self.index.has_collection(USER_DOCUMENTS):
            try:
                self.index.create_collection(USER_DOCUMENTS, self.embedder.dim)
            except RagPlatformError:  # created by another process meanwhile
                if not self.index.has_collection(USER_DOCUMENTS):
                    raise
        return USER_DOCUMENTS

    def ingest(
        self,
        owner: str,
        filename: str,
        data: bytes,
        content_type: str | None = None,
        chat_id: str | None = None,
    ) -> DocumentRecord:
        """Parses and indexes an upload for ``owner``. Raises TooLarge, UnsupportedMedia, InvalidInput;
        on a parse error nothing is stored."""
        if len(data) > self.max_bytes:
            raise TooLarge(f"file {filename!r} is {len(data)} bytes; the limit is {self.max_bytes}")
        name = PurePath(filename or "").name
        if not name:
            raise InvalidInput("the upload needs a file name")
        doc_id = str(uuid.uuid4())
        meta = {"owner": owner, "chat_id": chat_id or "", "source": name, "kind": "upload", "doc_id": doc_id}
        docs = parse_bytes(name, data, content_type, meta)  # raises before anything is stored
        chunks = chunk_documents(docs, self.chunking, self.embedder)
        key = f"{owner}/{doc_id}/{name}"
        self.files.put(key, data, content_type or "application/octet-stream")
        record = self.content.create_document(
            DocumentCreate(
                owner=owner,
                filename=name,
                content_type=content_type or "application/octet-stream",
                size_bytes=len(data),
                storage_key=key,
                chat_id=chat_id,
            )
        )
        try:
            chunks = [_with_doc(c, record.id, owner, chat_id) for c in chunks]
            vectors = self.embedder.embed_documents([c.text for c in chunks])
            self.index.upsert(self._collection(), chunks, vectors)
        except Exception as exc:
            log.warning("indexing %s failed", name, exc_info=True)
            return self.content.update_document(record.id, status="failed", error=str(exc)[:500])
        return self.content.update_document(record.id, status="parsed", chunks=len(chunks))

    def delete(self, document_id: str, owner: str | None = None) -> None:
        """Removes the record, its chunks and its file. Raises NotFound (also for another owner's)."""
        record = self.content.get_document(document_id)
        if owner is not None and record.owner != owner:
            raise NotFound(f"document {document_id} not found")
        if self.index.has_collection(USER_DOCUMENTS):
            self.index.delete(USER_DOCUMENTS, {"doc_id": document_id})
        self.files.delete(record.storage_key)
        self.content.delete_document(document_id)


def _with_doc(chunk: Chunk, doc_id: str, owner: str, chat_id: str | None) -> Chunk:
    """Chunk ids unique per upload: two owners uploading the same file never overwrite each other."""
    return replace(
        chunk,
        id=text_hash(f"{doc_id}:{chunk.id}")[:32],
        doc_id=doc_id,
        owner=owner,
        chat_id=chat_id or "",
        kind="upload",
    )
