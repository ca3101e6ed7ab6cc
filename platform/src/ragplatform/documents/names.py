"""Upload file names: what is kept for display, what the bytes are stored under, how a download
names itself. One owner for these rules, so every upload route handles names the same way.

- The name a user gave is display metadata only (``DocumentRecord.filename``). It is cleaned, not
  refused: directories dropped, NFC-normalised, control and format characters (NUL, newlines,
  bidi overrides such as U+202E that disguise ``gpj.exe`` as ``exe.jpg``) and lone surrogates
  removed, and cut to 255 UTF-8 bytes keeping its extension. Only a name with nothing usable
  left (empty, ``.``, ``..``) is refused, with InvalidInput naming the field ``filename``.
- The bytes are stored under a generated key, ``<owner>/<uuid><extension of the format read>``,
  so no user-chosen text ever reaches a path (a file system allows 255 bytes per component).
- A download names itself with RFC 6266 ``Content-Disposition``: an ASCII ``filename=`` fallback
  and the exact name in ``filename*=UTF-8''...`` (RFC 5987).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from pathlib import PurePosixPath
from urllib.parse import quote

from ragplatform.errors import InvalidInput

MAX_NAME_BYTES = 255
_MAX_EXT_CHARS = 16
_OWNER_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DROP_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def safe_filename(filename: str | bytes | None) -> str:
    """The name to keep for display: cleaned as the module doc says. Raises InvalidInput
    (``field="filename"``) when nothing usable is left."""
    if isinstance(filename, bytes):
        filename = filename.decode("utf-8", "replace")
    name = re.split(r"[\\/]", filename or "")[-1]
    # Pairs of surrogates (UTF-16 from some decoders) become the character they encode; lone ones go.
    name = name.encode("utf-16", "surrogatepass").decode("utf-16", "replace").replace("\ufffd", "")
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _DROP_CATEGORIES)
    name = " ".join(name.split())  # runs of (odd) spaces become one, none at the ends
    if name.strip(". ") == "":
        raise InvalidInput(
            "the file name is empty once control characters are removed; send a name such as 'notes.pdf'",
            field="filename",
        )
    return _truncate(name, MAX_NAME_BYTES)


def _truncate(name: str, limit: int) -> str:
    if len(name.encode()) <= limit:
        return name
    suffix = PurePosixPath(name).suffix
    if len(suffix) > _MAX_EXT_CHARS or len(suffix) == len(name):
        suffix = ""
    stem = name[: len(name) - len(suffix)]
    budget = limit - len(suffix.encode())
    cut = stem.encode()[:budget].decode("utf-8", "ignore")  # never half a character
    # A combining mark left without its base would show as a stray accent.
    while cut and unicodedata.combining(cut[-1]):
        cut = cut[:-1]
    return cut.rstrip() + suffix


def storage_key(owner: str, extension: str) -> str:
    """A fresh key for one upload's bytes: ``<owner segment>/<uuid4 hex><extension>``.

    The owner segment is the owner id when it is short and plain, otherwise a hash of it; the
    extension is the format read (``.pdf``), never taken from the user's name.
    """
    segment = owner if _OWNER_SEGMENT.fullmatch(owner) else "u-" + _digest(owner)
    ext = extension if re.fullmatch(r"\.[a-z0-9]{1,10}", extension) else ""
    return f"{segment}/{uuid.uuid4().hex}{ext}"


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """RFC 6266 header value: an ASCII fallback ``filename=`` and the exact ``filename*=UTF-8''``."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9 !#$&+,.=@^_`{}~()\[\]-]", "_", fallback).strip() or "download"
    exact = quote(filename.encode("utf-8", "replace"), safe="")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{exact}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]
