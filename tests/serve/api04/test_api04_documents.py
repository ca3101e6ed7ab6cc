"""POST /api/upload and /api/documents: ingest, cite, list, download, delete, isolation, limits."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from api04_support import Account, Ask

    from ragplatform.factory import Platform

FACT = (
    "# Zorblat maintenance\n\nThe zorblat coolant of the {code} reactor must be replaced every "
    "seventeen days by the night shift, using only blue zorblat fluid.\n"
)


def upload(
    client: httpx.Client, account: Account, name: str, data: bytes, content_type: str
) -> httpx.Response:
    return client.post("/api/upload", headers=account.headers, files={"file": (name, data, content_type)})


def test_an_upload_is_listed_downloadable_and_cited_only_for_its_owner(
    client: httpx.Client, ask: Ask, alice: Account, bob: Account
) -> None:
    code = f"Q{uuid.uuid4().hex[:6]}"
    data = FACT.format(code=code).encode()
    name = f"zorblat-{code}.md"
    r = upload(client, alice, name, data, "text/markdown")
    assert r.status_code == 201, r.text
    body = r.json()
    doc = body["document"]
    assert doc["filename"] == name and doc["size"] == len(data)
    assert doc["status"] == "parsed" and doc["chunks"] >= 1
    assert doc["url"].endswith(f"/api/documents/{doc['id']}/file")

    got = client.get(doc["url"], headers=alice.headers)
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"].startswith("text/markdown")
    assert name in got.headers["content-disposition"]

    listed = client.get("/api/documents", headers=alice.headers).json()
    assert isinstance(listed, list), "API 04: GET /api/documents is a list of documents with metadata"
    assert doc["id"] in [d["id"] for d in listed]
    assert {"id", "filename", "content_type", "size", "status", "chunks", "created_at"} <= set(listed[0])

    question = "How often must the zorblat coolant be replaced?"
    done = ask(alice.token, question)[-1]
    assert any(name in c["source"] for c in done["citations"]), done
    assert "seventeen days" in done["answer"]
    others = ask(bob.token, question)[-1]
    assert not any(name in c["source"] for c in others["citations"])


def test_another_users_document_is_not_found(client: httpx.Client, alice: Account, bob: Account) -> None:
    r = upload(client, alice, "private.txt", b"Alice's private notes about the garden.", "text/plain")
    doc_id = r.json()["document"]["id"]
    assert client.get(f"/api/documents/{doc_id}/file", headers=bob.headers).status_code == 404
    assert client.get(f"/api/documents/{doc_id}", headers=bob.headers).status_code == 404
    assert client.delete(f"/api/documents/{doc_id}", headers=bob.headers).status_code == 404
    assert doc_id not in [d["id"] for d in client.get("/api/documents", headers=bob.headers).json()]
    assert client.get(f"/api/documents/{doc_id}/file", headers=alice.headers).status_code == 200


def test_delete_removes_the_document_and_its_file(
    client: httpx.Client, alice: Account, platform: Platform
) -> None:
    r = upload(client, alice, "to-delete.txt", b"Temporary notes that will be deleted soon.", "text/plain")
    doc_id = r.json()["document"]["id"]
    gone = client.delete(f"/api/documents/{doc_id}", headers=alice.headers)
    assert gone.status_code == 200 and gone.json()["id"] == doc_id
    assert client.get(f"/api/documents/{doc_id}/file", headers=alice.headers).status_code == 404
    assert client.delete(f"/api/documents/{doc_id}", headers=alice.headers).status_code == 404
    assert doc_id not in [d["id"] for d in client.get("/api/documents", headers=alice.headers).json()]


def test_unsupported_type_is_415_and_nothing_is_stored(client: httpx.Client, alice: Account) -> None:
    before = len(client.get("/api/documents", headers=alice.headers).json())
    r = upload(client, alice, "setup.exe", b"MZ\x90\x00binary", "application/octet-stream")
    assert r.status_code == 415
    assert ".exe" in r.json()["detail"]
    assert len(client.get("/api/documents", headers=alice.headers).json()) == before


def test_an_upload_over_the_limit_is_413(
    client: httpx.Client, alice: Account, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform.settings.serve, "max_upload_bytes", 1024)
    r = upload(client, alice, "big.txt", b"a" * 4096, "text/plain")
    assert r.status_code == 413
    assert "1024" in r.json()["detail"]
    assert upload(client, alice, "small.txt", b"small enough file", "text/plain").status_code == 201


def test_upload_and_documents_need_a_token(client: httpx.Client) -> None:
    assert client.post("/api/upload", files={"file": ("a.txt", b"hello", "text/plain")}).status_code == 401
    assert client.get("/api/documents").status_code == 401


def test_upload_answers_a_public_url_that_works_without_the_token(
    client: httpx.Client, alice: Account
) -> None:
    """API 04: "Response: Public URL of uploaded file", a signed link that expires."""
    data = b"Notes anyone with the link may read."
    r = upload(client, alice, "shared.txt", data, "text/plain")
    assert r.status_code == 201, r.text
    url, doc = r.json()["url"], r.json()["document"]
    assert url != doc["url"] and "/api/files/" in url
    with httpx.Client(timeout=30) as anonymous:
        got = anonymous.get(url)
        assert got.status_code == 200 and got.content == data
        assert got.headers["x-content-type-options"] == "nosniff"
        assert "attachment" in got.headers["content-disposition"]
        assert anonymous.get(doc["url"]).status_code == 401, "the lasting URL still needs the token"


def test_a_tampered_or_expired_public_url_is_refused(
    client: httpx.Client, alice: Account, platform: Platform
) -> None:
    r = upload(client, alice, "expiring.txt", b"This link will expire in a second.", "text/plain")
    url, doc_id = r.json()["url"], r.json()["document"]["id"]
    body, _, signature = url.rpartition(".")
    forged = body + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    assert client.get(forged).status_code == 401
    assert client.get(url.rsplit("/", 1)[0] + "/not-a-token").status_code == 401

    short = platform.documents.sign_download(doc_id, ttl_s=1)
    time.sleep(2.1)
    expired = client.get(f"/api/files/{short}")
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]

    assert client.delete(f"/api/documents/{doc_id}", headers=alice.headers).status_code == 200
    assert client.get(url).status_code == 404
