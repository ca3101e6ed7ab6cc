"""Files and uploads to Documents: one thin reader per format, no network.

LlamaIndex core ships no PDF/DOCX/CSV readers (they live in
``llama-index-readers-file``, which drags in pandas-based readers and more);
these readers sit directly on pypdf, docx2txt and BeautifulSoup, which is all
those readers do for these formats.

What each format becomes:

- ``.txt``, ``.md``: one Document; the title is the first markdown heading.
- ``.html``/``.htm``: one Document of visible text, headings kept as markdown
  ``#`` lines (so the markdown chunker finds sections); title from ``<title>``.
- ``.pdf``: one Document per page with text, ``page=N`` (1-based); title from
  the PDF metadata.
- ``.docx``: one Document; title from the document properties.
- ``.csv``, ``.json``, ``.jsonl``: records. If the records have a text column
  (``text``, ``content``, ``body``, ``abstract``, ``answer``, ``description``)
  each record is one Document (title from ``title``/``name``/``question``, the
  other fields as ``field: value`` lines, ``record_id`` from ``_id``/``id``);
  otherwise the whole file is one Document with each record rendered as
  ``field: value`` lines, records separated by blank lines.

Every Document carries ``source``, ``title`` and ``kind="file"`` plus what the
caller passes (``owner``, ``chat_id``...).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

from ragplatform.errors import InvalidInput, NotFound, TooLarge, UnsupportedMedia
from ragplatform.ingest.filetypes import CONTENT_TYPES as CONTENT_TYPES
from ragplatform.ingest.filetypes import SUPPORTED_EXTENSIONS as SUPPORTED_EXTENSIONS
from ragplatform.ingest.filetypes import FileType, detect_type
from ragplatform.schema import Document

log = logging.getLogger(__name__)

MAX_DOCX_UNCOMPRESSED = 256 * 1024 * 1024

TEXT_FIELDS = ("text", "content", "body", "abstract", "answer", "description")
TITLE_FIELDS = ("title", "name", "question", "subject", "heading")
ID_FIELDS = ("_id", "id", "doc_id", "uuid")


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on what one file may become (None: unbounded, as for a trusted corpus).

    Readers stop as soon as one is passed and raise TooLarge naming it, so a small file that
    inflates (a PDF "decompression bomb") costs milliseconds, not minutes.
    """

    max_text_chars: int | None = None
    max_pages: int | None = None
    max_inflated_bytes: int | None = None


UNLIMITED = ReadLimits()


@dataclass(frozen=True)
class _Part:
    """One Document-to-be from a reader: ``key`` suffixes the document id (empty for whole files)."""

    text: str
    key: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


_Reader = Callable[[bytes, str, ReadLimits], list[_Part]]


def load_path(path: Path, extensions: Sequence[str] = (), max_documents: int | None = None) -> list[Document]:
    """Read a file, or every supported file under a folder (recursively), into Documents.

    Files and folders whose name starts with ``.`` are skipped; files are read in
    sorted order of their path relative to ``path``, and that relative path is
    both ``source`` and the document id (``guide/intro.md``, ``report.pdf#page=2``,
    ``corpus.jsonl#4983``), so ids are stable across machines. ``extensions``
    restricts the types read (empty = all supported); ``max_documents`` caps the
    number of Documents returned.

    Raises NotFound (no such path), UnsupportedMedia (a file or an extension we
    cannot read) and InvalidInput (an empty, undecodable or corrupt file, named).
    """
    root = Path(path)
    allowed = _normalise_extensions(extensions)
    if max_documents is not None and max_documents < 1:
        raise InvalidInput(
            f"max_documents must be at least 1, got {max_documents}",
            field="max_documents",
            value=max_documents,
        )
    if root.is_file():
        ext = root.suffix.lower()
        if ext not in SUPPORTED_EXTENSIONS:
            raise _unsupported(ext or root.name)
        files = [(root, root.name)] if ext in allowed else []
    elif root.is_dir():
        files = list(_walk(root, allowed))
    else:
        raise NotFound(f"path not found: {root}")

    docs: list[Document] = []
    for file, rel in files:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise InvalidInput(
                f"cannot read '{rel}': {exc.strerror or exc}", field="path", value=rel
            ) from exc
        docs.extend(_documents(rel, rel, data, _READERS[file.suffix.lower()], {}, UNLIMITED))
        if max_documents is not None and len(docs) >= max_documents:
            return docs[:max_documents]
    return docs


def parse_bytes(
    filename: str,
    data: bytes,
    content_type: str | None = None,
    metadata: dict[str, Any] | None = None,
    *,
    limits: ReadLimits = UNLIMITED,
    file_type: FileType | None = None,
) -> list[Document]:
    """Parse an uploaded file into Documents.

    The format is decided by ``detect_type`` from the name, ``content_type`` and the bytes
    together (executables and scripts are refused), unless the caller has decided it already
    (``file_type``). ``metadata`` (``owner``, ``chat_id``, ...) is copied onto every Document; a
    ``doc_id`` key in it sets the document id (e.g. the upload's record id), otherwise the id is
    ``upload/<hash of owner, chat, name and bytes>/<name>``, so the same file uploaded by two
    owners never shares chunk ids. ``limits`` bound pages, characters and inflated bytes.

    Raises UnsupportedMedia for a type we cannot or will not read, TooLarge when a limit is
    passed, and InvalidInput for an empty, undecodable or corrupt file.
    """
    name = re.split(r"[\\/]", filename.strip())[-1]
    if not name:
        raise InvalidInput("filename must not be empty", field="filename")
    ext = (file_type or detect_type(name, data, content_type)).extension
    meta = dict(metadata or {})
    doc_id = meta.pop("doc_id", None)
    if not doc_id:
        digest = hashlib.sha256()
        for piece in (str(meta.get("owner", "")), str(meta.get("chat_id", "")), name):
            digest.update(piece.encode("utf-8", "surrogatepass") + b"\0")
        digest.update(data)
        doc_id = f"upload/{digest.hexdigest()[:16]}/{name}"
    return _documents(str(doc_id), name, data, _READERS[ext], meta, limits)


def _normalise_extensions(extensions: Iterable[str]) -> frozenset[str]:
    chosen = {("." + e.lower().lstrip(".")) for e in extensions if e.strip()}
    for ext in sorted(chosen):
        if ext not in SUPPORTED_EXTENSIONS:
            raise _unsupported(ext)
    return frozenset(chosen or SUPPORTED_EXTENSIONS)


def _unsupported(what: str) -> UnsupportedMedia:
    supported = ", ".join(SUPPORTED_EXTENSIONS)
    return UnsupportedMedia(f"unsupported file type '{what}'; supported: {supported}")


def _walk(root: Path, allowed: frozenset[str]) -> Iterable[tuple[Path, str]]:
    found: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for fname in filenames:
            if fname.startswith(".") or Path(fname).suffix.lower() not in allowed:
                continue
            file = Path(dirpath) / fname
            found.append((file.relative_to(root).as_posix(), file))
    for rel, file in sorted(found):
        yield file, rel


def _documents(
    doc_id: str,
    source: str,
    data: bytes,
    reader: _Reader,
    caller_meta: dict[str, Any],
    limits: ReadLimits,
) -> list[Document]:
    if not data.strip():
        raise InvalidInput(f"'{source}' is empty", field="file")
    parts = reader(data, source, limits)
    if not parts:
        raise InvalidInput(f"'{source}' has no extractable text", field="file")
    _check_chars(source, sum(len(p.text) for p in parts), limits)
    stem = PurePosixPath(source).stem
    docs = []
    for part in parts:
        meta: dict[str, Any] = {"source": source, "title": stem, "kind": "file"}
        meta.update({k: v for k, v in part.metadata.items() if v not in (None, "")})
        meta.update(caller_meta)
        docs.append(Document(id=doc_id + part.key, text=part.text, metadata=meta))
    return docs


def _check_chars(name: str, chars: int, limits: ReadLimits) -> None:
    if limits.max_text_chars is not None and chars > limits.max_text_chars:
        raise _too_much_text(name, limits.max_text_chars)


def _too_much_text(name: str, limit: int) -> TooLarge:
    return TooLarge(
        f"'{name}' has more than {limit} characters of text; the limit is {limit} characters "
        "per document (DOCUMENTS__MAX_TEXT_CHARS): split the file",
        field="file",
    )


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
        if b"\0" in data[:4096]:
            raise InvalidInput(f"'{name}' is not a text file (binary content)", field="file")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"'{name}' is not valid UTF-8 text (byte {exc.start})", field="file") from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _tidy(text: str) -> str:
    """Collapse runs of spaces within lines and of blank lines (for extracted text)."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _read_text(data: bytes, name: str, limits: ReadLimits) -> list[_Part]:
    text = _decode(data, name).strip()
    if not text:
        return []
    heading = _HEADING.search(text)
    return [_Part(text, metadata={"title": heading.group(1) if heading else None})]


def _read_html(data: bytes, name: str, limits: ReadLimits) -> list[_Part]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "lxml")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup(["script", "style", "noscript", "template", "svg", "head"]):
        tag.decompose()
    for level in range(1, 7):
        for tag in soup.find_all(f"h{level}"):
            tag.replace_with(f"\n\n{'#' * level} {tag.get_text(' ', strip=True)}\n\n")
    text = _tidy(soup.get_text("\n"))
    if not title:
        heading = _HEADING.search(text)
        title = heading.group(1) if heading else ""
    return [_Part(text, metadata={"title": title})] if text else []


class _TextBudgetExceeded(Exception):
    """Raised from pypdf's text visitor to stop extracting the moment the budget is passed."""


# Besides its own errors, pypdf warns that "broken PDF files might cause other Exceptions"; its
# robustness issues (and a fuzz of our test files) show which: a missing key, a short operand
# list, an object of an unexpected type or without the expected attribute, a negative seek, a
# failed internal assertion, runaway recursion, bad arithmetic, a malformed binary field or
# zlib stream. Raised inside the pypdf calls below they mean the file, not our code, is broken.
_PDF_BROKEN: tuple[type[Exception], ...] = (
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    AssertionError,
    RecursionError,
    ArithmeticError,
    struct.error,
    zlib.error,
)


def _read_pdf(data: bytes, name: str, limits: ReadLimits) -> list[_Part]:
    """One part per page with text. Under ``limits``: the page count is checked before any page is
    read, every stream is inflated to at most ``max_inflated_bytes`` (pypdf stops decompressing
    there), and extraction stops mid-page once ``max_text_chars`` is passed."""
    import pypdf
    from pypdf.errors import DependencyError, LimitReachedError, PyPdfError

    bound = limits.max_inflated_bytes
    config = pypdf.get_configuration()
    if bound is not None:
        config = config.with_overwrites(
            zlib_maximum_output_length=bound,
            lzw_maximum_output_length=bound,
            run_length_maximum_output_length=bound,
            brotli_maximum_output_length=bound,
            array_based_stream_maximum_output_length=bound,
        )
    unreadable: tuple[type[Exception], ...] = (PyPdfError, *_PDF_BROKEN)
    texts: list[str] = []
    try:  # nothing but pypdf's calls and our limit checks in here: see _PDF_BROKEN
        with pypdf.apply_configuration(config):
            reader = pypdf.PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise InvalidInput(f"'{name}' is an encrypted PDF", field="file")
            pages = len(reader.pages)
            if limits.max_pages is not None and pages > limits.max_pages:
                raise TooLarge(
                    f"'{name}' has {pages} pages; the limit is {limits.max_pages} pages per document "
                    "(DOCUMENTS__MAX_PAGES): split the file",
                    field="file",
                )
            meta = reader.metadata
            title = (meta.title or "").strip() if meta else ""
            budget = _Budget(limits.max_text_chars)
            for page in reader.pages:
                texts.append(page.extract_text(visitor_text=budget.visit) or "")
    except InvalidInput:
        raise
    except _TextBudgetExceeded:
        raise _too_much_text(name, limits.max_text_chars or 0) from None
    except LimitReachedError as exc:
        if bound is not None and "decompress" in str(exc).lower():
            raise TooLarge(
                f"'{name}' holds a compressed stream that inflates past {bound} bytes, the limit per "
                "stream (DOCUMENTS__MAX_INFLATED_BYTES); a stream that inflates this much is refused "
                "as a possible decompression bomb",
                field="file",
            ) from exc
        log.info("'%s': pypdf stopped at a limit: %s", name, exc)
        raise TooLarge(
            f"'{name}' is too complex to read safely (too deeply nested or too many objects)", field="file"
        ) from exc
    except (NotImplementedError, DependencyError) as exc:  # a filter or cipher pypdf cannot decode here
        log.info("'%s' uses a PDF feature pypdf cannot read: %s", name, exc)
        raise UnsupportedMedia(
            f"'{name}' uses a PDF feature (a compression filter or encryption) this server cannot read",
            field="file",
        ) from exc
    except unreadable as exc:  # a damaged file must be refused, never crash a build
        log.info("'%s' is not a readable PDF: %r", name, exc)
        raise InvalidInput(f"'{name}' is not a readable PDF", field="file") from exc
    parts: list[_Part] = []
    for number, raw in enumerate(texts, start=1):
        text = _tidy(raw)
        if text:
            parts.append(_Part(text, f"#page={number}", {"title": title, "page": number}))
    return parts


class _Budget:
    """Counts extracted characters across pages; raises _TextBudgetExceeded past the limit."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0

    def visit(self, text: str, *_: Any) -> None:
        if self.limit is None:
            return
        self.used += len(text.strip())
        if self.used > self.limit:
            raise _TextBudgetExceeded


def _read_docx(data: bytes, name: str, limits: ReadLimits) -> list[_Part]:
    import docx2txt

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if sum(info.file_size for info in infos) > MAX_DOCX_UNCOMPRESSED:
                raise TooLarge(f"'{name}' unpacks to more than {MAX_DOCX_UNCOMPRESSED} bytes", field="file")
            bound = limits.max_inflated_bytes
            for info in infos:
                if bound is not None and info.filename.startswith("word/") and info.file_size > bound:
                    raise TooLarge(
                        f"'{name}' holds a part ({info.filename}) that inflates past {bound} bytes, "
                        "the limit per part (DOCUMENTS__MAX_INFLATED_BYTES): split the document",
                        field="file",
                    )
            title = ""
            if "docProps/core.xml" in archive.namelist():
                core = ElementTree.fromstring(archive.read("docProps/core.xml"))
                found = core.find("{http://purl.org/dc/elements/1.1/}title")
                title = (found.text or "").strip() if found is not None else ""
        text = _tidy(docx2txt.process(io.BytesIO(data)))
    except InvalidInput:
        raise
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError, OSError) as exc:
        raise InvalidInput(f"'{name}' is not a readable DOCX file: {exc}", field="file") from exc
    return [_Part(text, metadata={"title": title})] if text else []


def _read_csv(data: bytes, name: str, limits: ReadLimits) -> list[_Part]:
    text = _decode(data, name)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [dict(row) for row in csv.DictReader(io.StringIO(text), dialect=dialect)]
    except csv.Error as exc:
        raise InvalidInput(f"'{name}' is not a readable CSV file: {exc}", field="file") from exc
    records = [{(k or "").strip(): v for k, v in row.items() if k is not None} for row in rows]
    return _records_to_parts(records, name)


def _read_json(data: bytes, name: str, limits: ReadLimits) -> list[_Part]:
    text = _decode(data, name)
    try:
        value: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise InvalidInput(f"'{name}' is not valid JSON: {exc}", field="file") from exc
        return _read_jsonl(data, name, limits)
    if isinstance(value, dict):
        return _records_to_parts([value], name)
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return _records_to_parts(value, name)
    rendered = _render_value(value)
    return [_Part(rendered)] if rendered.strip() else []


def _read_jsonl(data: bytes, name: str, limits: ReadLimits) -> list[_Part]:
    records: list[dict[str, Any]] = []
    for number, line in enumerate(_decode(data, name).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"'{name}' line {number} is not valid JSON: {exc.msg}", field="file") from exc
        records.append(value if isinstance(value, dict) else {"value": value})
    return _records_to_parts(records, name)


def _field(record: dict[str, Any], names: Sequence[str]) -> str | None:
    lowered = {k.lower(): k for k in record}
    for wanted in names:
        if wanted in lowered:
            return lowered[wanted]
    return None


def _records_to_parts(records: list[dict[str, Any]], name: str) -> list[_Part]:
    if not records:
        return []
    text_key = next((k for r in records if (k := _field(r, TEXT_FIELDS))), None)
    if text_key is None:
        blocks = [_render_fields(r, skip=()) for r in records]
        text = "\n\n".join(b for b in blocks if b)
        return [_Part(text)] if text else []
    parts: list[_Part] = []
    seen: set[str] = set()
    for number, record in enumerate(records, start=1):
        body = _render_value(record.get(text_key, "")).strip()
        if not body:
            continue
        title_key, id_key = _field(record, TITLE_FIELDS), _field(record, ID_FIELDS)
        title = _render_value(record[title_key]).strip() if title_key else ""
        record_id = _render_value(record[id_key]).strip() if id_key else ""
        key = f"#{record_id}" if record_id and record_id not in seen else f"#row={number}"
        seen.add(record_id)
        rest = _render_fields(record, skip=(text_key, title_key, id_key))
        text = "\n\n".join(p for p in (title, body, rest) if p)
        meta = {"title": title, "row": number, "record_id": record_id}
        parts.append(_Part(text, key, meta))
    return parts


def _render_fields(record: dict[str, Any], skip: Iterable[str | None]) -> str:
    skipped = set(skip)
    lines = []
    for key, value in record.items():
        rendered = _render_value(value).strip()
        if key not in skipped and rendered:
            lines.append(f"{key}: {rendered}")
    return "\n".join(lines)


def _render_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(_render_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_render_value(v)}" for k, v in value.items() if _render_value(v))
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


_READERS: dict[str, _Reader] = {
    ".txt": _read_text,
    ".md": _read_text,
    ".markdown": _read_text,
    ".html": _read_html,
    ".htm": _read_html,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
    ".csv": _read_csv,
    ".json": _read_json,
    ".jsonl": _read_jsonl,
}
