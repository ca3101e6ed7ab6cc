"""What a media file is: image, audio or video, from its name's extension and its bytes together.

The extension (else the declared content type) claims a format and the bytes must agree; with
neither, the bytes decide. Executables and scripts are refused as uploads are
(``ingest.filetypes.executable_kind``). Refusals are UnsupportedMedia (415) naming what is accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from ragplatform.errors import UnsupportedMedia
from ragplatform.ingest.filetypes import executable_kind
from ragplatform.media.base import MediaKind

# extension -> (kind, canonical content type, container formats its bytes may be)
MEDIA_EXTENSIONS: dict[str, tuple[MediaKind, str, frozenset[str]]] = {
    ".png": ("image", "image/png", frozenset({"png"})),
    ".jpg": ("image", "image/jpeg", frozenset({"jpeg"})),
    ".jpeg": ("image", "image/jpeg", frozenset({"jpeg"})),
    ".gif": ("image", "image/gif", frozenset({"gif"})),
    ".webp": ("image", "image/webp", frozenset({"webp"})),
    ".bmp": ("image", "image/bmp", frozenset({"bmp"})),
    ".tif": ("image", "image/tiff", frozenset({"tiff"})),
    ".tiff": ("image", "image/tiff", frozenset({"tiff"})),
    ".wav": ("audio", "audio/wav", frozenset({"wav"})),
    ".mp3": ("audio", "audio/mpeg", frozenset({"mp3"})),
    ".ogg": ("audio", "audio/ogg", frozenset({"ogg"})),
    ".oga": ("audio", "audio/ogg", frozenset({"ogg"})),
    ".opus": ("audio", "audio/ogg", frozenset({"ogg"})),
    ".flac": ("audio", "audio/flac", frozenset({"flac"})),
    ".m4a": ("audio", "audio/mp4", frozenset({"mp4"})),
    ".aac": ("audio", "audio/aac", frozenset({"aac"})),
    ".weba": ("audio", "audio/webm", frozenset({"matroska"})),
    ".mp4": ("video", "video/mp4", frozenset({"mp4"})),
    ".m4v": ("video", "video/mp4", frozenset({"mp4"})),
    ".mov": ("video", "video/quicktime", frozenset({"mp4"})),
    ".webm": ("video", "video/webm", frozenset({"matroska"})),
    ".mkv": ("video", "video/x-matroska", frozenset({"matroska"})),
    ".avi": ("video", "video/x-msvideo", frozenset({"avi"})),
    ".ogv": ("video", "video/ogg", frozenset({"ogg"})),
}

# A declared content type stands for the extension it names when the file name has none.
CONTENT_TYPES: dict[str, str] = {ctype: ext for ext, (_, ctype, _) in reversed(MEDIA_EXTENSIONS.items())}
CONTENT_TYPES |= {"audio/x-wav": ".wav", "audio/wave": ".wav", "audio/mp3": ".mp3", "audio/x-flac": ".flac"}

# With no extension and no declared type, the format the bytes are read as.
_BY_FORMAT: dict[str, str] = {
    "png": ".png", "jpeg": ".jpg", "gif": ".gif", "webp": ".webp", "bmp": ".bmp", "tiff": ".tif",
    "wav": ".wav", "mp3": ".mp3", "ogg": ".ogg", "flac": ".flac", "aac": ".aac",
    "mp4": ".mp4", "matroska": ".webm", "avi": ".avi",
}  # fmt: skip


@dataclass(frozen=True)
class MediaType:
    """What a media file is read as: its kind, the format (extension) and the content type stored."""

    kind: MediaKind
    extension: str
    content_type: str


def is_media(filename: str, content_type: str | None = None) -> bool:
    """Whether the name's extension (or, without one, the declared type) is an image, audio or video."""
    ext = _extension(filename)
    if ext:
        return ext in MEDIA_EXTENSIONS
    return _declared(content_type) in CONTENT_TYPES


def sniff_format(data: bytes) -> str | None:
    """The container format of ``data`` from its first bytes (``"png"``, ``"mp4"``...), or None."""
    head = data[:64]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return {b"WEBP": "webp", b"WAVE": "wav", b"AVI ": "avi"}[head[8:12]]
    if head.startswith(b"BM") and len(head) > 14:
        return "bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        return "mp3"  # an ID3 tag, or an MPEG audio layer III frame header
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "aac"  # an ADTS header
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"fLaC"):
        return "flac"
    if head[4:8] == b"ftyp":
        return "mp4"  # ISO base media: MP4, M4A, MOV
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"  # EBML: WebM, MKV
    return None


def detect_media_type(filename: str, data: bytes, content_type: str | None = None) -> MediaType:
    """Decide what a media file is (rules in the module doc).

    Raises UnsupportedMedia (``field="file"``) for programs, types that are not an accepted image,
    audio or video format, and bytes that are not the format the name or declared type claims.
    """
    name = re.split(r"[\\/]", filename.strip())[-1]
    program = executable_kind(data)
    if program:
        raise _refused(name, f"its content is {program}")
    ext = _extension(name) or CONTENT_TYPES.get(_declared(content_type), "")
    sniffed = sniff_format(data)
    if not ext:
        if sniffed is None:
            raise _refused(name, "its content is not an image, audio or video format this server reads")
        ext = _BY_FORMAT[sniffed]
    if ext not in MEDIA_EXTENSIONS:
        raise _refused(name, f"files of type {ext!r} are not images, audio or video")
    kind, ctype, formats = MEDIA_EXTENSIONS[ext]
    if sniffed not in formats:
        raise _refused(name, f"it is named or declared as {ext} ({kind}) but its content is not one")
    return MediaType(kind, ext, ctype)


def _extension(filename: str) -> str:
    return PurePosixPath(re.split(r"[\\/]", filename.strip())[-1]).suffix.lower()


def _declared(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _refused(name: str, why: str) -> UnsupportedMedia:
    accepted = ", ".join(MEDIA_EXTENSIONS)
    return UnsupportedMedia(
        f"{name!r} is refused (unsupported media type): {why}; accepted media types: {accepted}",
        field="file",
    )
