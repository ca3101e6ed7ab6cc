"""Every reader format, the folder walk and upload parsing, on files written in the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest_filemakers import make_docx, make_pdf
from ragplatform.errors import InvalidInput, NotFound, UnsupportedMedia
from ragplatform.ingest.readers import SUPPORTED_EXTENSIONS, load_path, parse_bytes


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def test_supported_extensions_cover_the_documented_formats() -> None:
    for ext in (".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".csv", ".json", ".jsonl"):
        assert ext in SUPPORTED_EXTENSIONS


def test_text_file_titled_by_its_stem(tmp_path: Path) -> None:
    [doc] = load_path(write(tmp_path / "opening-hours.txt", "The office opens at 9.\r\nIt closes at 17.\n"))
    assert doc.id == "opening-hours.txt"
    assert doc.text == "The office opens at 9.\nIt closes at 17."
    assert doc.metadata == {"source": "opening-hours.txt", "title": "opening-hours", "kind": "file"}


def test_markdown_titled_by_its_first_heading(tmp_path: Path) -> None:
    [doc] = load_path(
        write(tmp_path / "guide.md", "Intro line\n\n# Getting started\n\n## Install\npip install")
    )
    assert doc.metadata["title"] == "Getting started"
    assert "## Install" in doc.text


def test_html_keeps_visible_text_and_headings(tmp_path: Path) -> None:
    html = """<html><head><title>Campus map</title><style>p {color: red}</style></head>
    <body><script>var secret = 1;</script><h1>Buildings</h1><p>The   library is
    in building <b>B</b>.</p><h2>Parking</h2><p>Lot C is free.</p></body></html>"""
    [doc] = load_path(write(tmp_path / "map.html", html))
    assert doc.metadata["title"] == "Campus map"
    assert "# Buildings" in doc.text and "## Parking" in doc.text
    assert "The library is" in doc.text and "Lot C is free." in doc.text
    assert "secret" not in doc.text and "color" not in doc.text


def test_pdf_gives_one_document_per_page_with_text(tmp_path: Path) -> None:
    pdf = make_pdf([["Chapter one begins here."], [], ["Chapter two (continued)."]], title="Annual report")
    docs = load_path(write(tmp_path / "reports" / "annual.pdf", pdf))
    assert [d.id for d in docs] == ["annual.pdf#page=1", "annual.pdf#page=3"]
    assert [d.metadata["page"] for d in docs] == [1, 3]
    assert docs[0].text == "Chapter one begins here."
    assert docs[1].text == "Chapter two (continued)."
    assert all(d.metadata["title"] == "Annual report" for d in docs)


def test_pdf_without_title_metadata_uses_the_file_name(tmp_path: Path) -> None:
    [doc] = load_path(write(tmp_path / "minutes.pdf", make_pdf([["Meeting minutes."]])))
    assert doc.metadata["title"] == "minutes"


def test_docx_text_and_title(tmp_path: Path) -> None:
    docx = make_docx(
        ["Welcome to the handbook.", "Holidays & leave are in section 3."], title="Staff handbook"
    )
    [doc] = load_path(write(tmp_path / "handbook.docx", docx))
    assert doc.text == "Welcome to the handbook.\n\nHolidays & leave are in section 3."
    assert doc.metadata["title"] == "Staff handbook"


def test_csv_with_a_text_column_gives_one_document_per_row(tmp_path: Path) -> None:
    csv_text = "id,title,text,lang\n7,Refunds,Refunds take five days.,en\n9,Shipping,We ship worldwide.,en\n"
    docs = load_path(write(tmp_path / "kb.csv", csv_text))
    assert [d.id for d in docs] == ["kb.csv#7", "kb.csv#9"]
    assert docs[0].text == "Refunds\n\nRefunds take five days.\n\nlang: en"
    assert docs[0].metadata["title"] == "Refunds"
    assert docs[0].metadata["record_id"] == "7"
    assert docs[1].metadata["row"] == 2


def test_csv_without_a_text_column_is_one_document_of_field_lines(tmp_path: Path) -> None:
    csv_text = "room;floor;capacity\nAula;0;300\nLab 2;3;24\n"
    [doc] = load_path(write(tmp_path / "rooms.csv", csv_text))
    assert doc.id == "rooms.csv"
    assert doc.text == "room: Aula\nfloor: 0\ncapacity: 300\n\nroom: Lab 2\nfloor: 3\ncapacity: 24"


def test_json_list_with_text_gives_one_document_per_object(tmp_path: Path) -> None:
    data = [
        {
            "id": "a",
            "question": "Where is the library?",
            "answer": "In building B.",
            "tags": ["map", "library"],
        },
        {"id": "b", "question": "When is it open?", "answer": "From 8 to 22."},
    ]
    docs = load_path(write(tmp_path / "faq.json", json.dumps(data)))
    assert [d.id for d in docs] == ["faq.json#a", "faq.json#b"]
    assert docs[0].text == "Where is the library?\n\nIn building B.\n\ntags: map, library"
    assert docs[0].metadata["title"] == "Where is the library?"


def test_json_object_without_text_is_rendered_as_fields(tmp_path: Path) -> None:
    data = {"name": "Helpdesk", "phone": "+41 44 000 00 00", "hours": {"mon": "8-17", "sat": "closed"}}
    [doc] = load_path(write(tmp_path / "helpdesk.json", json.dumps(data)))
    assert doc.text == "name: Helpdesk\nphone: +41 44 000 00 00\nhours: mon: 8-17; sat: closed"


def test_jsonl_records_with_ids_like_beir_corpora(tmp_path: Path) -> None:
    lines = [
        {
            "_id": "4983",
            "title": "White matter",
            "text": "Diffusion tensor imaging of newborns.",
            "metadata": {},
        },
        {"_id": "5836", "title": "Stem cells", "text": "Induced pluripotent stem cells."},
    ]
    path = write(tmp_path / "corpus.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    docs = load_path(path)
    assert [d.id for d in docs] == ["corpus.jsonl#4983", "corpus.jsonl#5836"]
    assert docs[0].text == "White matter\n\nDiffusion tensor imaging of newborns."
    assert docs[0].metadata["record_id"] == "4983"


def test_jsonl_with_a_bad_line_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.jsonl", '{"text": "fine"}\n{"text": oops}\n')
    with pytest.raises(InvalidInput, match=r"'broken.jsonl' line 2"):
        load_path(path)


def test_folder_walk_is_recursive_sorted_and_skips_hidden_and_unknown(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", "bee")
    write(tmp_path / "a" / "z.md", "# Zed\nzed")
    write(tmp_path / "a" / "c.txt", "sea")
    write(tmp_path / ".hidden.txt", "hidden")
    write(tmp_path / ".git" / "notes.txt", "hidden too")
    write(tmp_path / "tool.exe", b"MZ\x90\x00")
    docs = load_path(tmp_path)
    assert [d.id for d in docs] == ["a/c.txt", "a/z.md", "b.txt"]
    assert [d.metadata["source"] for d in docs] == ["a/c.txt", "a/z.md", "b.txt"]
    assert load_path(tmp_path) == docs


def test_folder_walk_filters_extensions_and_caps_documents(tmp_path: Path) -> None:
    for name in ("1.txt", "2.txt", "3.txt", "4.md"):
        write(tmp_path / name, f"file {name}")
    assert [d.id for d in load_path(tmp_path, extensions=["md"])] == ["4.md"]
    assert [d.id for d in load_path(tmp_path, extensions=[".TXT"], max_documents=2)] == ["1.txt", "2.txt"]


def test_unknown_extension_is_unsupported_media_listing_what_is(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedMedia, match=r"unsupported file type '\.xyz'; supported: \.txt, "):
        load_path(write(tmp_path / "data.xyz", "hello"))
    with pytest.raises(UnsupportedMedia, match=r"'\.exe'"):
        load_path(tmp_path, extensions=["exe"])
    with pytest.raises(UnsupportedMedia, match=r"'\.xyz'"):
        parse_bytes("data.xyz", b"hello")


def test_missing_path_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="nowhere"):
        load_path(tmp_path / "nowhere")


@pytest.mark.parametrize("name", ["empty.txt", "empty.pdf", "empty.csv", "blank.md"])
def test_empty_file_is_invalid_input_naming_the_file(tmp_path: Path, name: str) -> None:
    content = "  \n\n" if name.startswith("blank") else ""
    with pytest.raises(InvalidInput, match=f"'{name}' is empty"):
        load_path(write(tmp_path / name, content))


def test_undecodable_text_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"'latin.txt' is not valid UTF-8"):
        load_path(write(tmp_path / "latin.txt", "caf\u00e9".encode("latin-1")))
    with pytest.raises(InvalidInput, match=r"'binary.txt' is not a text file"):
        load_path(write(tmp_path / "binary.txt", b"\x00\x01\x02binary"))


def test_corrupt_pdf_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"'broken.pdf' is not a readable PDF"):
        load_path(write(tmp_path / "broken.pdf", b"%PDF-1.4\nthis is not really a pdf\n%%EOF"))
    truncated = make_pdf([["Some text that gets cut off."]])[:120]
    with pytest.raises(InvalidInput, match=r"'cut.pdf'"):
        load_path(write(tmp_path / "cut.pdf", truncated))


def test_pdf_with_only_blank_pages_has_no_text(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"'scan.pdf' has no extractable text"):
        load_path(write(tmp_path / "scan.pdf", make_pdf([[], []])))


def test_corrupt_docx_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"'broken.docx' is not a readable DOCX"):
        load_path(write(tmp_path / "broken.docx", b"PK\x03\x04 not a zip at all"))


def test_upload_carries_caller_metadata_and_gets_an_owner_scoped_id() -> None:
    data = b"# Lab safety\n\nGoggles on at all times."
    docs_a = parse_bytes("safety.md", data, metadata={"owner": "alice", "chat_id": "c1"})
    docs_b = parse_bytes("safety.md", data, metadata={"owner": "bob"})
    [a], [b] = docs_a, docs_b
    assert a.metadata == {
        "source": "safety.md",
        "title": "Lab safety",
        "kind": "file",
        "owner": "alice",
        "chat_id": "c1",
    }
    assert a.id.startswith("upload/") and a.id.endswith("/safety.md")
    assert a.id != b.id
    assert parse_bytes("safety.md", data, metadata={"owner": "alice", "chat_id": "c1"})[0].id == a.id


def test_upload_doc_id_from_caller_and_type_from_content_type() -> None:
    pdf = make_pdf([["Uploaded page."]])
    docs = parse_bytes("scan", pdf, content_type="application/pdf; qs=1", metadata={"doc_id": "rec-42"})
    assert [d.id for d in docs] == ["rec-42#page=1"]
    assert "doc_id" not in docs[0].metadata


def test_upload_file_name_loses_its_directories() -> None:
    [doc] = parse_bytes("../../etc/notes.txt", b"just notes")
    assert doc.metadata["source"] == "notes.txt"
    [doc] = parse_bytes("C:\\fakepath\\notes.txt", b"just notes")
    assert doc.metadata["source"] == "notes.txt"
    with pytest.raises(InvalidInput, match="filename"):
        parse_bytes("  ", b"x")


def test_a_pdf_that_trips_pypdf_into_a_builtin_error_is_invalid_input(tmp_path: Path) -> None:
    """A trailer that is a number, not a dictionary, makes pypdf raise AttributeError: one of the
    built-in types pypdf warns broken files cause. Refused as unreadable, with pypdf's text kept
    out of the message."""
    broken = make_pdf([["Hello world"]]).replace(b"trailer\n<<", b"trailer\n2<")
    with pytest.raises(InvalidInput, match=r"'trailer.pdf' is not a readable PDF$") as raised:
        load_path(write(tmp_path / "trailer.pdf", broken))
    assert isinstance(raised.value.__cause__, AttributeError)
    assert "NumberObject" not in raised.value.message


def test_a_pdf_compressed_with_an_unknown_filter_is_unsupported_media(tmp_path: Path) -> None:
    odd = make_pdf([["Hello world"]], compress=True).replace(b"/FlateDecode", b"/SlateDecode")
    with pytest.raises(UnsupportedMedia, match=r"'odd.pdf' uses a PDF feature") as raised:
        load_path(write(tmp_path / "odd.pdf", odd))
    assert isinstance(raised.value.__cause__, NotImplementedError)
    assert "SlateDecode" not in raised.value.message
