"""Limits on what one file may become: a decompression bomb is refused in well under a second."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from ingest_filemakers import make_bomb_pdf, make_docx, make_pdf
from ragplatform.errors import TooLarge
from ragplatform.ingest.readers import ReadLimits, parse_bytes
from ragplatform.settings import DocumentSettings

DEFAULTS = DocumentSettings()
LIMITS = ReadLimits(DEFAULTS.max_text_chars, DEFAULTS.max_pages, DEFAULTS.max_inflated_bytes)


def test_the_probe_bomb_is_refused_fast_under_the_default_limits() -> None:
    bomb = make_bomb_pdf()
    assert len(bomb) < 32 * 1024  # ~21 KiB on disk, ~7 MiB of text operators inflated
    started = time.perf_counter()
    with pytest.raises(
        TooLarge, match=r"inflates past 4194304 bytes.*DOCUMENTS__MAX_INFLATED_BYTES"
    ) as caught:
        parse_bytes("bomb.pdf", bomb, limits=LIMITS)
    assert time.perf_counter() - started < 2.0  # was 38 s (and 4,465 chunks) before the limits
    assert caught.value.field == "file"


def test_text_budget_stops_extraction_mid_page() -> None:
    """A page under the stream limit but over the character budget stops as soon as it passes."""
    pdf = make_pdf([["Lorem ipsum dolor sit amet"] * 20_000], compress=True)  # ~540k characters
    started = time.perf_counter()
    with pytest.raises(TooLarge, match=r"more than 10000 characters.*DOCUMENTS__MAX_TEXT_CHARS"):
        parse_bytes("long.pdf", pdf, limits=ReadLimits(max_text_chars=10_000))
    assert time.perf_counter() - started < 2.0


def test_pages_are_counted_before_any_is_read() -> None:
    pdf = make_pdf([["page"]] * 5)
    with pytest.raises(TooLarge, match=r"has 5 pages; the limit is 3 pages.*DOCUMENTS__MAX_PAGES"):
        parse_bytes("many.pdf", pdf, limits=ReadLimits(max_pages=3))
    assert len(parse_bytes("many.pdf", pdf, limits=ReadLimits(max_pages=5))) == 5


def test_text_formats_are_held_to_the_character_budget() -> None:
    with pytest.raises(TooLarge, match="more than 100 characters"):
        parse_bytes("notes.txt", b"word " * 100, limits=ReadLimits(max_text_chars=100))
    [doc] = parse_bytes("notes.txt", b"word " * 10, limits=ReadLimits(max_text_chars=100))
    assert doc.text.startswith("word")


def test_a_docx_whose_text_part_inflates_past_the_limit_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(make_docx(["x"]))) as small, zipfile.ZipFile(buffer, "w") as big:
        for info in small.infolist():
            data = small.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(b"<w:t>x</w:t>", b"<w:t>" + b"a" * 200_000 + b"</w:t>")
            big.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    with pytest.raises(TooLarge, match=r"word/document.xml\) that inflates past 65536 bytes"):
        parse_bytes("big.docx", buffer.getvalue(), limits=ReadLimits(max_inflated_bytes=65_536))


def test_without_limits_a_corpus_file_is_read_whole() -> None:
    pdf = make_pdf([["Lorem ipsum dolor sit amet"] * 200], compress=True)
    [doc] = parse_bytes("ok.pdf", pdf)
    assert doc.text.count("Lorem") == 200
