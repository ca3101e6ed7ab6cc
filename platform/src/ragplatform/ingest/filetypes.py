"""What an uploaded file is: decided from its name's extension, its declared type and its bytes together.

The rules, in order (refusals raise ``UnsupportedMedia``, which ``ragserve`` answers with 415 and
a detail naming what was refused and what is accepted):

1. Executables and scripts are refused whatever they are called or declared as: by extension
   (``.exe``, ``.dll``, ``.so``, ``.sh``, ``.bat``, ``.cmd``, ``.ps1``, ``.js``, ``.vbs``,
   ``.jar``, ``.msi``, ...), by declared type (``application/x-msdownload``,
   ``application/x-sh``, ``text/javascript``, ...) or by content (a Windows ``MZ`` header, ELF,
   Mach-O, a Java class or archive, a ``#!`` line).
2. The format claimed is the name's extension when it is a supported one, else the declared
   content type (a name without an extension); an unsupported extension is refused.
3. The bytes must agree with the claim. Bytes that are unambiguously PDF or DOCX win over the
   claim (and over a missing one): ``notes.txt`` holding a PDF is read and stored as the PDF it is (the record's
   content type says ``application/pdf``; the name the user gave is kept for display). Binary
   bytes under a text claim, and anything but a PDF (DOCX) under a PDF (DOCX) claim, are refused.
4. The content type stored with the file, and served on download, is the canonical type of the
   format read (``MEDIA_TYPES``), never the one the client declared.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from ragplatform.errors import UnsupportedMedia

SUPPORTED_EXTENSIONS: tuple[str, ...] = (
    ".txt",
    ".md",
    ".markdown",
    ".html",
    ".htm",
    ".pdf",
    ".docx",
    ".csv",
    ".json",
    ".jsonl",
)

# Declared content types (the client's word) to the format they claim.
CONTENT_TYPES: dict[str, str] = {
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "text/csv": ".csv",
    "application/csv": ".csv",
    "application/json": ".json",
    "application/x-ndjson": ".jsonl",
    "application/jsonl": ".jsonl",
    "application/x-jsonlines": ".jsonl",
}

# The content type stored and served for each format read.
MEDIA_TYPES: dict[str, str] = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".csv": "text/csv",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
}

EXECUTABLE_EXTENSIONS: frozenset[str] = frozenset(
    {
        # Windows programs, libraries, installers and shortcuts
        ".exe", ".dll", ".com", ".scr", ".pif", ".cpl", ".msi", ".msp", ".mst", ".msc", ".sys",
        ".drv", ".ocx", ".lnk", ".reg", ".inf", ".gadget", ".appx", ".msix",
        # Windows scripts
        ".bat", ".cmd", ".ps1", ".psm1", ".psd1", ".vbs", ".vbe", ".js", ".jse", ".mjs", ".cjs",
        ".wsf", ".wsh", ".hta", ".sct",
        # Unix programs, libraries, packages and scripts
        ".so", ".elf", ".bin", ".run", ".out", ".ko", ".deb", ".rpm", ".apk", ".appimage",
        ".sh", ".bash", ".zsh", ".csh", ".ksh", ".fish", ".command",
        # macOS
        ".dylib", ".app", ".pkg", ".dmg", ".scpt", ".applescript", ".workflow",
        # interpreters' scripts and bytecode
        ".jar", ".class", ".war", ".py", ".pyc", ".pyw", ".pl", ".rb", ".php", ".lua", ".tcl",
    }
)  # fmt: skip

EXECUTABLE_TYPES: frozenset[str] = frozenset(
    {
        "application/x-msdownload",
        "application/x-dosexec",
        "application/x-msdos-program",
        "application/vnd.microsoft.portable-executable",
        "application/x-executable",
        "application/x-elf",
        "application/x-sharedlib",
        "application/x-mach-binary",
        "application/x-msi",
        "application/x-ms-installer",
        "application/x-ms-shortcut",
        "application/x-bat",
        "application/x-sh",
        "application/x-shellscript",
        "application/x-csh",
        "text/x-shellscript",
        "text/x-sh",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "text/javascript",
        "text/ecmascript",
        "text/vbscript",
        "application/x-powershell",
        "application/hta",
        "application/java-archive",
        "application/x-java-archive",
        "application/java-vm",
        "application/x-python-code",
        "text/x-python",
        "application/x-perl",
        "application/x-ruby",
        "application/x-php",
        "application/x-apple-diskimage",
        "application/vnd.android.package-archive",
        "application/x-debian-package",
        "application/x-rpm",
    }
)

_MACH_O = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")
_SHEBANG = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*#![ \t]*/")
_SNIFF = 8192
_BINARY_FORMATS = {".pdf": "a PDF", ".docx": "a Word (DOCX) document"}


@dataclass(frozen=True)
class FileType:
    """The format an upload is read as: ``extension`` picks the reader, ``content_type`` is stored."""

    extension: str
    content_type: str


def detect_type(filename: str, data: bytes, content_type: str | None = None) -> FileType:
    """Decide the format of an upload from its name, declared type and bytes (rules in the module doc).

    Raises UnsupportedMedia (``field="file"``) for executables, scripts, unsupported types and
    bytes that contradict the name or declared type.
    """
    name = re.split(r"[\\/]", filename.strip())[-1]
    ext = PurePosixPath(name).suffix.lower()
    declared = (content_type or "").split(";")[0].strip().lower()
    if ext in EXECUTABLE_EXTENSIONS:
        raise _refused(
            name, f"{ext!r} files are programs or scripts; executables and scripts are not accepted"
        )
    if declared in EXECUTABLE_TYPES:
        raise _refused(
            name,
            f"the declared type {declared!r} is a program or script; executables and scripts are not accepted",
        )
    program = executable_kind(data)
    if program:
        raise _refused(name, f"its content is {program}; executables and scripts are not accepted")
    if ext and ext not in SUPPORTED_EXTENSIONS:
        raise _refused(name, f"files of type {ext!r} cannot be read")
    sniffed = _sniff(data)
    if sniffed in _BINARY_FORMATS:
        return FileType(sniffed, MEDIA_TYPES[sniffed])  # the bytes say what it is
    claimed = ext or CONTENT_TYPES.get(declared)
    if claimed is None:
        raise _refused(name, f"the type {declared or 'unknown'!r} cannot be read")
    if claimed in _BINARY_FORMATS:
        raise _refused(
            name, f"it is named or declared as {_BINARY_FORMATS[claimed]} but its content is not one"
        )
    if sniffed != "text":
        raise _refused(name, f"it is named or declared as text ({claimed}) but its content is binary")
    return FileType(claimed, MEDIA_TYPES[claimed])


def executable_kind(data: bytes) -> str | None:
    """What kind of program ``data`` is (``"a Windows program"``, ``"a script"``...), or None."""
    head = data[:_SNIFF]
    if head.startswith(b"MZ") and b"\0" in head:
        return "a Windows program"
    if head.startswith(b"\x7fELF"):
        return "a Linux/Unix program"
    if head.startswith(_MACH_O):
        return "a macOS program"
    if head.startswith(b"\xca\xfe\xba\xbe"):
        return "a Java class or macOS program"
    if _SHEBANG.match(head):
        return "a script (it starts with '#!')"
    if head.startswith(b"PK\x03\x04") and _zip_names(data) & {"META-INF/MANIFEST.MF"}:
        return "a Java archive"
    return None


def _sniff(data: bytes) -> str:
    """``.pdf``, ``.docx``, ``"binary"`` or ``"text"``, from the bytes alone."""
    head = data[:_SNIFF]
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-"):
        return ".pdf"
    if head.startswith(b"PK\x03\x04"):
        return ".docx" if "word/document.xml" in _zip_names(data) else "binary"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text"  # UTF-16 with a byte-order mark
    return "binary" if b"\0" in head else "text"


def _zip_names(data: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return set()


def _refused(name: str, why: str) -> UnsupportedMedia:
    accepted = ", ".join(SUPPORTED_EXTENSIONS)
    return UnsupportedMedia(
        f"{name!r} is refused (unsupported type): {why}; accepted types: {accepted}", field="file"
    )
