"""Issue 9's upload probe, on both upload routes (``POST /api/upload`` of API 04 and
``POST /api/v1/chat/{id}/upload`` of API 05), against the live server: names that once gave a 500
(NUL, over 255 bytes, 130 two-byte characters, control characters, a lone surrogate) are stored
under a safe name and download with an RFC 6266 header; executables and scripts sent as text are
refused with 415; a PDF decompression bomb is refused fast with 413 and nothing is stored."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

from ingest_filemakers import make_bomb_pdf

TEXT = b"Thomas Newcomen built the atmospheric engine in 1712; it pumped water out of mines."

Upload = Callable[[str, bytes, str], httpx.Response]


@pytest.fixture(scope="module")
def bearer(live_server: object) -> dict[str, str]:
    url = live_server.url  # type: ignore[attr-defined]
    email = f"up-{uuid.uuid4().hex[:8]}@example.org"
    with httpx.Client(base_url=url, timeout=60) as c:
        c.post("/api/signup", json={"email": email, "password": "correct horse 42", "name": "Up"})
        token = c.post("/api/login", json={"email": email, "password": "correct horse 42"}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


@pytest.fixture(params=["api04", "v1"])
def upload(request: pytest.FixtureRequest, client: httpx.Client, bearer: dict[str, str]) -> Upload:
    if request.param == "api04":

        def to_api04(name: str, data: bytes, content_type: str) -> httpx.Response:
            return client.post("/api/upload", files={"file": (name, data, content_type)}, headers=bearer)

        return to_api04
    chat = client.post("/api/v1/chat", json={"title": "uploads"}, headers=bearer)
    assert chat.status_code in (200, 201), chat.text
    chat_id = chat.json()["chat_id"]

    def to_v1(name: str, data: bytes, content_type: str) -> httpx.Response:
        r = client.post(
            f"/api/v1/chat/{chat_id}/upload", files={"files": (name, data, content_type)}, headers=bearer
        )
        if r.status_code == 201:  # where the file downloads, for ``stored``
            r.headers["x-test-download"] = f"/api/v1/chat/{chat_id}/files/{r.json()[0]['fileid']}"
        return r

    return to_v1


def stored(r: httpx.Response) -> tuple[str, str]:
    """(download URL, stored display name) of a successful upload on either route."""
    body = r.json()
    if isinstance(body, list):  # v1: the files
        return r.headers["x-test-download"], body[0]["filename"]
    return body["document"]["url"], body["document"]["filename"]


@pytest.mark.parametrize(
    "name",
    [
        "nul\x00byte.txt",
        "x" * 300 + ".txt",
        "é" * 130 + ".txt",
        "bell\x07and\r\nnewline.txt",
        "\u202etxt.exe.txt",
    ],
    ids=["nul", "over-255-bytes", "130-two-byte-chars", "control-chars", "rtl-override"],
)
def test_odd_file_names_are_stored_safely_and_download(
    client: httpx.Client, bearer: dict[str, str], upload: Upload, name: str
) -> None:
    r = upload(name, TEXT, "text/plain")
    assert r.status_code == 201, r.text
    url, shown = stored(r)
    assert len(shown.encode()) <= 255
    assert not any(ord(ch) < 32 or ch == "\u202e" for ch in shown)
    got = client.get(url, headers=bearer)
    assert got.status_code == 200 and got.content == TEXT
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert got.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "data"),
    [("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64), ("install.sh", b"#!/bin/sh\nrm -rf /\n")],
)
def test_executables_and_scripts_sent_as_text_are_refused(upload: Upload, name: str, data: bytes) -> None:
    r = upload(name, data, "text/plain")
    assert r.status_code == 415, r.text
    assert r.json()["detail"]


def test_a_pdf_decompression_bomb_is_refused_with_the_limit_named(
    client: httpx.Client, bearer: dict[str, str], upload: Upload
) -> None:
    bomb = make_bomb_pdf()
    assert len(bomb) < 64 * 1024
    r = upload("report.pdf", bomb, "application/pdf")
    assert r.status_code in (413, 422), r.text
    assert "DOCUMENTS__" in r.json()["detail"]
    listed = client.get("/api/documents", headers=bearer).json()
    items = listed if isinstance(listed, list) else listed["documents"]
    assert "report.pdf" not in [d["filename"] for d in items]
