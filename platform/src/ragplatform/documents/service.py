"""User documents: uploaded files parsed and written to the live per-owner collection,
searchable by their owner at once (design: "Two kinds of collections").

An upload is all or nothing. Everything that can refuse it on the user's account (name, size,
type, limits, parsing, chunking, embedding) runs before anything is written; then the file, the
record and the chunks are written in that order, and if any write fails the ones already made
are undone and ``BackendUnavailable`` is raised. No record of an upload that did not complete
stays listed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ragplatform.answering.service import USER_DOCUMENTS
from ragplatform.content.base import ContentStore, DocumentCreate, DocumentRecord
from ragplatform.documents.links import DownloadLinks
from ragplatform.documents.names import content_disposition, safe_filename, storage_key
from ragplatform.embeddings.base import Embedder
from ragplatform.errors import BackendUnavailable, InvalidInput, NotFound, RagPlatformError, TooLarge
from ragplatform.files.base import FileStore
from ragplatform.ingest.chunking import chunk_documents
from ragplatform.ingest.filetypes import MEDIA_TYPES, FileType, detect_type
from ragplatform.ingest.readers import ReadLimits, parse_bytes
from ragplatform.schema import Chunk, text_hash
from ragplatform.settings import DocumentSettings
from ragplatform.spec import ChunkingSpec
from ragplatform.vectorindex.base import VectorIndex

log = logging.getLogger(__name__)

_SERVABLE_TYPES = frozenset(MEDIA_TYPES.values())


@dataclass(frozen=True)
class StoredFile:
    """A document's bytes ready to send: a clean file name and the type of the format read."""

    data: bytes
    filename: str
    content_type: str

    @property
    def content_disposition(self) -> str:
        """RFC 6266/5987 ``Content-Disposition`` value (attachment) for this file."""
        return content_disposition(self.filename)


class DocumentService:
    def __init__(
        self,
        content: ContentStore,
        files: FileStore,
        index: VectorIndex,
        embedder: Embedder,
        chunking: ChunkingSpec | None = None,
        max_bytes: int = 20 * 1024 * 1024,
        limits: DocumentSettings | None = None,
        links: DownloadLinks | None = None,
    ) -> None:
        self.content = content
        self.files = files
        self.index = index
        self.embedder = embedder
        self.chunking = chunking or ChunkingSpec()
        self.max_bytes = max_bytes
        self.limits = limits or DocumentSettings()
        self.links = links

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
        """Parses, stores and indexes an upload for ``owner``; returns its record (status ``parsed``).

        ``filename`` is kept, cleaned, for display only (``names.safe_filename``); the type is
        decided from name, ``content_type`` and bytes together (``filetypes.detect_type``).

        Raises, with nothing stored: InvalidInput (``field="filename"`` for a name with nothing
        usable, ``field="file"`` for an empty, corrupt or text-less file), UnsupportedMedia
        (executables, scripts, unreadable types, content contradicting the name or type),
        TooLarge (``max_bytes`` or a ``DocumentSettings`` limit, named in the message).
        Raises BackendUnavailable when a store refuses the write, after undoing what was written.
        """
        name = safe_filename(filename)
        if len(data) > self.max_bytes:
            raise TooLarge(
                f"file '{name}' is {len(data)} bytes; the limit is {self.max_bytes} bytes "
                "(SERVE__MAX_UPLOAD_BYTES)",
                field="file",
            )
        file_type = detect_type(name, data, content_type)
        chunks, vectors = self._prepare(owner, name, data, file_type, chat_id)
        return self._store(owner, name, data, file_type, chat_id, chunks, vectors)

    def ingest_all(
        self, owner: str, files: Sequence[tuple[str, bytes, str | None]], chat_id: str | None = None
    ) -> list[DocumentRecord]:
        """Ingests several ``(filename, data, content_type)`` uploads: all of them or none (the ones
        stored before a refusal are deleted again). Raises what ``ingest`` raises, the message
        prefixed with the refused file's name."""
        stored: list[DocumentRecord] = []
        for name, data, content_type in files:
            try:
                stored.append(self.ingest(owner, name, data, content_type=content_type, chat_id=chat_id))
            except RagPlatformError as exc:
                for record in stored:
                    self.delete(record.id)
                if name and name not in exc.message:
                    exc.message = f"{name}: {exc.message}"
                    exc.args = (exc.message,)
                raise
        return stored

    def _prepare(
        self, owner: str, name: str, data: bytes, file_type: FileType, chat_id: str | None
    ) -> tuple[list[Chunk], np.ndarray]:
        """Everything that may refuse the upload on the user's account; writes nothing."""
        meta = {"owner": owner, "chat_id": chat_id or "", "source": name, "kind": "upload"}
        docs = parse_bytes(name, data, metadata=meta, limits=self._read_limits(), file_type=file_type)
        chunks = chunk_documents(docs, self.chunking, self.embedder)
        if len(chunks) > self.limits.max_chunks:
            raise TooLarge(
                f"'{name}' makes {len(chunks)} chunks; the limit is {self.limits.max_chunks} chunks "
                "per document (DOCUMENTS__MAX_CHUNKS): split the file",
                field="file",
            )
        vectors = self.embedder.embed_documents([c.text for c in chunks])
        return chunks, vectors

    def _store(
        self,
        owner: str,
        name: str,
        data: bytes,
        file_type: FileType,
        chat_id: str | None,
        chunks: list[Chunk],
        vectors: np.ndarray,
    ) -> DocumentRecord:
        key = storage_key(owner, file_type.extension)
        self.files.put(key, data, file_type.content_type)  # raises BackendUnavailable, leaves nothing
        undo: list[tuple[str, Callable[[], object]]] = [("file", lambda: self.files.delete(key))]
        step = "database"
        try:
            record = self.content.create_document(
                DocumentCreate(
                    owner=owner,
                    filename=name,
                    content_type=file_type.content_type,
                    size_bytes=len(data),
                    storage_key=key,
                    chat_id=chat_id,
                )
            )
            undo.append(("record", lambda: self.content.delete_document(record.id)))
            step = "vector index"
            collection = self._collection()
            undo.append(("chunks", lambda: self.index.delete(collection, {"doc_id": record.id})))
            self.index.upsert(collection, [_with_doc(c, record.id, owner, chat_id) for c in chunks], vectors)
            step = "database"
            return self.content.update_document(record.id, status="parsed", chunks=len(chunks))
        except RagPlatformError as exc:
            log.error("storing upload %r in the %s failed: %s", name, step, exc.message)
            _undo(undo, name)
            raise BackendUnavailable(
                f"'{name}' was not stored: the {step} refused the write (the server log says why); "
                "nothing of the upload was kept, try again later"
            ) from exc
        except BaseException:  # a bug stays a bug (a 500), but leaves nothing half-written
            _undo(undo, name)
            raise

    def _read_limits(self) -> ReadLimits:
        return ReadLimits(
            max_text_chars=self.limits.max_text_chars,
            max_pages=self.limits.max_pages,
            max_inflated_bytes=self.limits.max_inflated_bytes,
        )

    def delete(self, document_id: str, owner: str | None = None) -> None:
        """Removes the chunks, the file, then the record (so a failed delete can be retried).

        Raises NotFound (also for another owner's), BackendUnavailable.
        """
        record = self._owned(document_id, owner)
        if self.index.has_collection(USER_DOCUMENTS):
            self.index.delete(USER_DOCUMENTS, {"doc_id": document_id})
        self.files.delete(record.storage_key)
        self.content.delete_document(document_id)

    def delete_chat_files(self, chat_id: str, page: int = 500) -> int:
        """Removes every file uploaded to a chat (chunks, bytes and records); returns how many.
        A file deleted meanwhile by another request is skipped. Raises BackendUnavailable."""
        removed = 0
        while records := self.content.list_documents(chat_id=chat_id, limit=page):
            for record in records:
                try:
                    self.delete(record.id)
                except NotFound:
                    continue
                removed += 1
            if len(records) < page:
                break
        return removed

    def get_file(self, document_id: str, owner: str | None = None) -> StoredFile:
        """The document's bytes, a clean download name and a content type safe to serve
        (``application/octet-stream`` for anything the platform would not store today).

        Raises NotFound (unknown id, another owner's, or the file is gone), BackendUnavailable.
        """
        record = self._owned(document_id, owner)
        try:
            data = self.files.get(record.storage_key)
        except NotFound:
            raise NotFound(f"the file of document {document_id} is gone") from None
        try:
            filename = safe_filename(record.filename)
        except InvalidInput:
            filename = "download"
        declared = record.content_type.split(";")[0].strip().lower()  # records from before the rules
        served = declared if declared in _SERVABLE_TYPES else "application/octet-stream"
        return StoredFile(data=data, filename=filename, content_type=served)

    def read_text(self, document_id: str, owner: str | None = None) -> str:
        """The document's text, read from its stored bytes as at upload (pages and records joined
        by blank lines), for work over a whole document such as a summary.

        Raises NotFound (unknown id, another owner's, or the file is gone), InvalidInput (the file
        cannot be parsed any more), BackendUnavailable.
        """
        record = self._owned(document_id, owner)
        try:
            data = self.files.get(record.storage_key)
        except NotFound:
            raise NotFound(f"the file of document {document_id} is gone") from None
        docs = parse_bytes(record.filename, data, record.content_type, limits=self._read_limits())
        return "\n\n".join(text for d in docs if (text := d.text.strip()))

    def sign_download(self, document_id: str, ttl_s: int | None = None) -> str:
        """A token for ``open_download`` valid ``ttl_s`` seconds (default ``DOCUMENTS__LINK_TTL_S``).

        The caller checks who may see the document before signing. Raises InvalidInput (bad TTL).
        """
        return self._links().sign_download(document_id, ttl_s)

    def open_download(self, token: str) -> StoredFile:
        """The file a signed token points at; no owner check (the token is the permission).

        Raises Unauthorized (bad or expired token), NotFound (the document was deleted).
        """
        return self.get_file(self._links().verify_download(token))

    def _links(self) -> DownloadLinks:
        if self.links is None:
            raise RuntimeError("DocumentService was built without DownloadLinks (see factory.Platform)")
        return self.links

    def _owned(self, document_id: str, owner: str | None) -> DocumentRecord:
        record = self.content.get_document(document_id)
        if owner is not None and record.owner != owner:
            raise NotFound(f"document {document_id} not found")
        return record


def _undo(steps: list[tuple[str, Callable[[], object]]], name: str) -> None:
    """Run the undo steps newest first; one failing does not stop the others."""
    for what, step in reversed(steps):
        try:
            step()
        except Exception:
            log.exception("could not undo the %s of failed upload %r; remove it by hand", what, name)


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
