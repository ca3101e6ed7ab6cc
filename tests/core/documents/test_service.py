"""DocumentService on real stores: what an upload becomes, what is refused before anything is written,
and that a store refusing a write leaves nothing behind (no file, no record, no chunks)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from documents_stores import Stores, make_service
from psycopg_pool import ConnectionPool

from fault_support import read_only, tiny_disk
from ragplatform.content.base import ContentStore, DocumentCreate, DocumentRecord
from ragplatform.content.postgres import PostgresContentStore
from ragplatform.db.pool import DictConnection
from ragplatform.errors import BackendUnavailable, InvalidInput, NotFound, TooLarge, UnsupportedMedia
from ragplatform.vectorindex.lancedb import LanceDBVectorIndex

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
from ingest_filemakers import make_bomb_pdf, make_pdf

SAFETY = b"# Lab safety\n\nGoggles on at all times. Report spills to the lab manager at once.\n"


def test_an_upload_is_stored_under_a_generated_key_and_indexed_for_its_owner(stores: Stores) -> None:
    service = stores.service
    record = service.ingest(stores.owner, "Lab safety.md", SAFETY, "text/plain")
    assert record.status == "parsed" and record.chunks >= 1
    assert record.filename == "Lab safety.md"
    assert record.content_type == "text/markdown"
    assert re.fullmatch(rf"{stores.owner}/[0-9a-f]{{32}}\.md", record.storage_key)
    assert [p.name for p in stores.stored_files()] == [record.storage_key.split("/")[1]]
    assert stores.chunks() == record.chunks
    stored = service.get_file(record.id, owner=stores.owner)
    assert (stored.data, stored.filename, stored.content_type) == (SAFETY, "Lab safety.md", "text/markdown")
    assert stored.content_disposition == (
        "attachment; filename=\"Lab safety.md\"; filename*=UTF-8''Lab%20safety.md"
    )


@pytest.mark.parametrize(
    ("name", "data"),
    [("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00PE\x00\x00"), ("install.sh", b"#!/bin/sh\nrm -rf ~\n")],
)
def test_the_probes_executable_and_script_sent_as_text_are_refused(
    stores: Stores, name: str, data: bytes
) -> None:
    with pytest.raises(UnsupportedMedia, match=rf"'{re.escape(name)}' is refused.*executables and scripts"):
        stores.service.ingest(stores.owner, name, data, "text/plain")
    stores.assert_nothing_stored()


def test_the_probes_decompression_bomb_is_refused_fast_and_nothing_is_stored(stores: Stores) -> None:
    started = time.perf_counter()
    with pytest.raises(TooLarge, match="DOCUMENTS__MAX_INFLATED_BYTES"):
        stores.service.ingest(stores.owner, "bomb.pdf", make_bomb_pdf(), "application/pdf")
    assert time.perf_counter() - started < 2.0
    stores.assert_nothing_stored()


def test_too_many_chunks_is_refused_before_anything_is_embedded(
    tmp_path: Path, content: ContentStore
) -> None:
    stores = Stores(tmp_path, make_service(tmp_path, content, max_chunks=3), owner="user-chunks")
    long_text = " ".join(f"Sentence number {i} says something." for i in range(400)).encode()
    with pytest.raises(TooLarge, match=r"makes \d+ chunks; the limit is 3 chunks.*DOCUMENTS__MAX_CHUNKS"):
        stores.service.ingest(stores.owner, "long.txt", long_text)
    stores.assert_nothing_stored()


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("nul\0byte.txt", "nulbyte.txt"),
        ("ctl\x07\x1b.txt", "ctl.txt"),
        ("lone\udcffsurrogate.txt", "lonesurrogate.txt"),
        ("\u00e9" * 130 + ".txt", "\u00e9" * 125 + ".txt"),  # 264 bytes: the probe's 500
        ("x" * 300 + ".txt", "x" * 251 + ".txt"),
    ],
)
def test_odd_file_names_are_stored_cleaned_never_in_a_path(stores: Stores, raw: str, shown: str) -> None:
    record = stores.service.ingest(stores.owner, raw, b"Plain notes about the lab.")
    assert record.filename == shown
    assert re.fullmatch(rf"{stores.owner}/[0-9a-f]{{32}}\.txt", record.storage_key)
    assert stores.service.get_file(record.id).filename == shown


def test_a_name_with_nothing_usable_is_refused_naming_the_field(stores: Stores) -> None:
    with pytest.raises(InvalidInput) as caught:
        stores.service.ingest(stores.owner, "\0\x01", b"Plain notes.")
    assert caught.value.field == "filename"
    stores.assert_nothing_stored()


def test_pdf_bytes_named_txt_are_stored_as_the_pdf_they_are(stores: Stores) -> None:
    record = stores.service.ingest(
        stores.owner, "notes.txt", make_pdf([["Quarterly numbers."]]), "text/plain"
    )
    assert record.status == "parsed"
    assert record.filename == "notes.txt"
    assert record.content_type == "application/pdf"
    assert record.storage_key.endswith(".pdf")


def test_binary_bytes_declared_text_are_refused(stores: Stores) -> None:
    with pytest.raises(UnsupportedMedia, match="content is binary"):
        stores.service.ingest(stores.owner, "notes.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/plain")
    stores.assert_nothing_stored()


# -- storage faults, made for real ------------------------------------------------------


def test_a_read_only_files_folder_is_503_with_a_detail_and_leaves_nothing(stores: Stores) -> None:
    with (
        read_only(stores.files_dir),
        pytest.raises(BackendUnavailable, match="is read-only; fix its permissions"),
    ):
        stores.service.ingest(stores.owner, "notes.txt", b"Plain notes.")
    stores.assert_nothing_stored()


def test_a_full_disk_is_503_and_leaves_no_temporary_file(stores: Stores) -> None:
    with tiny_disk(stores.files_dir, size_kib=16):
        with pytest.raises(BackendUnavailable, match="is full; free space"):
            stores.service.ingest(stores.owner, "big.txt", b"Plain words fill the disk. " * 4000)
        stores.assert_nothing_stored()  # the half-written temporary file too


def test_a_file_size_limit_is_503_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes the write fail half-way with EFBIG, as root too (no mount needed)."""
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        from pathlib import Path
        from ragplatform.errors import BackendUnavailable
        from ragplatform.files.local import LocalFileStore

        store = LocalFileStore(Path({str(tmp_path)!r}))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))
        try:
            store.put("owner/file.txt", b"x" * 100_000)
        except BackendUnavailable as exc:
            print("refused:", exc.message)
            sys.exit(0)
        sys.exit(1)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "is full; free space and retry" in done.stdout
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_read_only_vector_index_is_503_and_leaves_no_record_or_file(stores: Stores) -> None:
    kept = stores.service.ingest(stores.owner, "first.txt", b"The first upload is kept.")
    with read_only(stores.lancedb_dir), pytest.raises(BackendUnavailable, match="the vector index refused"):
        stores.service.ingest(stores.owner, "second.txt", b"The second upload is refused.")
    assert [r.id for r in stores.service.content.list_documents(owner=stores.owner)] == [kept.id]
    assert [p.name for p in stores.stored_files()] == [kept.storage_key.split("/")[1]]
    assert stores.chunks() == kept.chunks


class DiesOnUpdate(PostgresContentStore):
    """The database going away between the record's insert and its final update."""

    def update_document(self, document_id: str, **fields: object) -> DocumentRecord:
        raise BackendUnavailable("PostgreSQL connection lost")


def test_a_database_failure_after_indexing_undoes_the_chunks_the_file_and_the_record(
    tmp_path: Path, pg_pool: ConnectionPool[DictConnection]
) -> None:
    service = make_service(tmp_path, DiesOnUpdate(pg_pool))
    stores = Stores(tmp_path, service, owner="user-db-dies")
    with pytest.raises(BackendUnavailable, match="the database refused the write") as caught:
        service.ingest(stores.owner, "notes.txt", b"Plain notes about the lab.")
    assert "PostgreSQL" not in caught.value.message  # driver words go to the log, not to the client
    stores.assert_nothing_stored()


def test_a_bug_in_a_store_stays_a_bug_but_leaves_nothing(stores: Stores) -> None:
    class Broken(LanceDBVectorIndex):
        def upsert(self, *args: object, **kwargs: object) -> int:
            raise RuntimeError("a bug, not an outage")

    stores.service.index = Broken(stores.lancedb_dir)
    with pytest.raises(RuntimeError, match="a bug"):
        stores.service.ingest(stores.owner, "notes.txt", b"Plain notes about the lab.")
    stores.assert_nothing_stored()


# -- reading, deleting, signed links ------------------------------------------------------


def test_another_owner_sees_nothing(stores: Stores) -> None:
    record = stores.service.ingest(stores.owner, "notes.txt", b"Plain notes about the lab.")
    with pytest.raises(NotFound):
        stores.service.get_file(record.id, owner="someone-else")
    with pytest.raises(NotFound):
        stores.service.delete(record.id, owner="someone-else")


def test_a_signed_link_opens_the_file_until_the_document_is_deleted(stores: Stores) -> None:
    record = stores.service.ingest(stores.owner, "Résumé.pdf", make_pdf([["Experience."]]))
    token = stores.service.sign_download(record.id)
    opened = stores.service.open_download(token)
    assert (opened.filename, opened.content_type) == ("Résumé.pdf", "application/pdf")
    assert opened.data.startswith(b"%PDF-")
    stores.service.delete(record.id, owner=stores.owner)
    stores.assert_nothing_stored()
    with pytest.raises(NotFound):
        stores.service.open_download(token)


def test_a_record_from_before_the_rules_downloads_safely(stores: Stores) -> None:
    """Old rows kept the client's name and type: a control character in the name closed the download's
    connection, and a declared program type would be served as is."""
    content, files = stores.service.content, stores.service.files
    files.put(f"{stores.owner}/legacy/tool.exe", b"MZ\x90\x00")
    record = content.create_document(
        DocumentCreate(
            owner=stores.owner,
            filename="bad\nname\x07.exe",
            content_type="application/x-msdownload",
            size_bytes=4,
            storage_key=f"{stores.owner}/legacy/tool.exe",
        )
    )
    stored = stores.service.get_file(record.id, owner=stores.owner)
    assert (stored.filename, stored.content_type) == ("badname.exe", "application/octet-stream")
    assert stored.content_disposition.isascii() and stored.content_disposition.isprintable()
    stores.service.delete(record.id)
    stores.assert_nothing_stored()
