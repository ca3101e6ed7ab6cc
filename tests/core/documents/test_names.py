"""Upload names: kept for display once cleaned, never part of a storage path; downloads name themselves
with RFC 6266/5987 headers."""

from __future__ import annotations

import re

import pytest

from ragplatform.documents.names import content_disposition, safe_filename, storage_key
from ragplatform.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\me\\notes.md", "notes.md"),
        ("bad\0name.txt", "badname.txt"),
        ("line\nbreak\r\t.txt", "linebreak.txt"),
        ("\x1b[31mred\x1b[0m.txt", "[31mred[0m.txt"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # the right-to-left override that disguises a name
        ("lone\udcffsurrogate.txt", "lonesurrogate.txt"),
        ("emoji \ud83d\ude00.txt", "emoji \U0001f600.txt"),  # a surrogate pair becomes its character
        ("cafe\u0301.txt", "caf\u00e9.txt"),  # NFC
        ("  spaced   out  .md", "spaced out .md"),
    ],
)
def test_names_are_cleaned_for_display(raw: str, clean: str) -> None:
    assert safe_filename(raw) == clean


def test_bytes_in_odd_encodings_are_decoded_without_failing() -> None:
    assert safe_filename(b"caf\xe9.txt") == "caf.txt"  # latin-1 byte, not UTF-8
    assert safe_filename("caf\xe9.txt".encode()) == "caf\u00e9.txt"


def test_long_names_are_cut_to_255_bytes_keeping_the_extension() -> None:
    name = "\u00e9" * 130 + ".pdf"  # 264 bytes: over the file system's 255 per path component
    cut = safe_filename(name)
    assert len(cut.encode()) <= 255
    assert cut.endswith(".pdf")
    assert cut == "\u00e9" * 125 + ".pdf"
    assert len(safe_filename("a" * 1000).encode()) == 255
    four_byte = safe_filename("\U0001f600" * 100 + ".txt")
    assert len(four_byte.encode()) <= 255 and four_byte.endswith(".txt")
    assert "\ufffd" not in four_byte


@pytest.mark.parametrize("raw", ["", "   ", "\0\0", "\x01\x02", ".", "..", "dir/", "\udcff", None])
def test_a_name_with_nothing_usable_is_refused_naming_the_field(raw: str | None) -> None:
    with pytest.raises(InvalidInput, match="file name is empty") as caught:
        safe_filename(raw)
    assert caught.value.field == "filename"


def test_storage_keys_never_hold_the_users_name() -> None:
    key = storage_key("7f3c-user_1", ".pdf")
    assert re.fullmatch(r"7f3c-user_1/[0-9a-f]{32}\.pdf", key)
    assert storage_key("7f3c-user_1", ".pdf") != key
    odd = storage_key("../../etc/\0\udcff" + "x" * 300, ".exe/../x")
    assert re.fullmatch(r"u-[0-9a-f]{24}/[0-9a-f]{32}", odd)


def test_content_disposition_has_an_ascii_fallback_and_the_exact_name() -> None:
    header = content_disposition('R\u00e9sum\u00e9 "final"; v2.pdf')
    assert header == (
        'attachment; filename="Resume _final__ v2.pdf"; '
        "filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22%3B%20v2.pdf"
    )
    assert header.isascii()
    assert "\n" not in content_disposition("a\r\nSet-Cookie: x.txt")
    assert content_disposition("\u65e5\u672c.txt").startswith('attachment; filename=".txt"')
    assert 'filename="download"' in content_disposition("\u65e5\u672c")
