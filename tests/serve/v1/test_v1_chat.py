"""/api/v1/chat (API 05): chats, messages and files, for the chat's owner only."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from conftest import SignedIn
    from ragplatform.factory import Platform

NOTE = b"The Zorblax reactor was designed by Marguerite Okonkwo in 1987, in a workshop in Lagos.\n"


def new_chat(client: httpx.Client, who: SignedIn, **body: str) -> dict[str, object]:
    r = client.post("/api/v1/chat", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def upload(
    client: httpx.Client, who: SignedIn, chat_id: object, *files: tuple[str, bytes, str]
) -> httpx.Response:
    return client.post(
        f"/api/v1/chat/{chat_id}/upload", files=[("files", f) for f in files], headers=who.headers
    )


def test_create_and_get_a_chat(client: httpx.Client, alice: SignedIn) -> None:
    chat = new_chat(client, alice, model_id="extractive", model_api_source="local")
    assert set(chat) >= {
        "chat_id",
        "user_id",
        "current_model_id",
        "current_model_api_source",
        "created_timestamp",
        "files",
    }
    assert (chat["user_id"], chat["current_model_id"], chat["current_model_api_source"]) == (
        alice.user.id,
        "extractive",
        "local",
    )
    assert chat["files"] == [] and str(chat["created_timestamp"]).endswith(("Z", "+00:00"))
    got = client.get(f"/api/v1/chat/{chat['chat_id']}", headers=alice.headers)
    assert got.status_code == 200 and got.json() == chat

    default = new_chat(client, alice)  # the chain's first model
    assert (default["current_model_id"], default["current_model_api_source"]) == ("extractive", "extractive")
    r = client.post("/api/v1/chat", json={"model_id": "no-such-model"}, headers=alice.headers)
    assert r.status_code == 400 and "model_api_source" in r.json()["detail"]
    assert r.json()["field"] == "model_api_source"


def test_chats_are_listed_a_page_at_a_time(client: httpx.Client, alice: SignedIn) -> None:
    ids = [new_chat(client, alice)["chat_id"] for _ in range(3)]
    first = client.get("/api/v1/chat", params={"page": 1, "size": 2}, headers=alice.headers).json()
    second = client.get("/api/v1/chat", params={"page": 2, "size": 2}, headers=alice.headers).json()
    assert (first["total"], first["page"], first["size"], first["pages"]) == (3, 1, 2, 2)
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert {c["chat_id"] for c in first["items"] + second["items"]} == set(ids)
    for bad in ({"size": 0}, {"size": 101}, {"page": 0}):
        assert client.get("/api/v1/chat", params=bad, headers=alice.headers).status_code == 422


def test_every_chat_route_needs_a_token(client: httpx.Client) -> None:
    for method, path in [("GET", "/api/v1/chat"), ("POST", "/api/v1/chat"), ("GET", "/api/v1/chat/x/files")]:
        r = client.request(method, path, json={} if method == "POST" else None)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_other_users_chats_and_files_are_not_found(
    client: httpx.Client, alice: SignedIn, bob: SignedIn
) -> None:
    chat_id = new_chat(client, alice)["chat_id"]
    file_id = upload(client, alice, chat_id, ("note.txt", NOTE, "text/plain")).json()[0]["fileid"]
    base = f"/api/v1/chat/{chat_id}"
    for method, path in [
        ("GET", base),
        ("DELETE", base),
        ("GET", f"{base}/messages"),
        ("GET", f"{base}/files"),
        ("GET", f"{base}/files/{file_id}"),
        ("DELETE", f"{base}/files/{file_id}"),
    ]:
        r = client.request(method, path, headers=bob.headers)
        assert r.status_code == 404, (method, path, r.status_code)
        assert r.json() == {"detail": "Chat not found"}
    assert upload(client, bob, chat_id, ("x.txt", b"hello", "text/plain")).status_code == 404
    assert client.get("/api/v1/chat", headers=bob.headers).json()["total"] == 0
    assert client.get(f"{base}/files", headers=alice.headers).json()[0]["fileid"] == file_id  # untouched


def test_upload_list_download_and_delete_files(
    client: httpx.Client, alice: SignedIn, platform: Platform
) -> None:
    chat_id = new_chat(client, alice)["chat_id"]
    r = upload(
        client,
        alice,
        chat_id,
        ("note.txt", NOTE, "text/plain"),
        ("résumé notes.md", b"# Notes\n\nSteam and gears.\n", "text/markdown"),
    )
    assert r.status_code == 201, r.text
    files = r.json()
    assert [f["filename"] for f in files] == ["note.txt", "résumé notes.md"]
    first = files[0]
    assert set(first) >= {"fileid", "filename", "uploaded_at", "userid", "content_type", "size", "object_key"}
    assert (first["userid"], first["size"], first["content_type"], first["status"]) == (
        alice.user.id,
        len(NOTE),
        "text/plain",
        "parsed",
    )

    listed = client.get(f"/api/v1/chat/{chat_id}/files", headers=alice.headers).json()
    assert {f["fileid"] for f in listed} == {f["fileid"] for f in files}
    assert len(client.get(f"/api/v1/chat/{chat_id}", headers=alice.headers).json()["files"]) == 2

    got = client.get(f"/api/v1/chat/{chat_id}/files/{first['fileid']}", headers=alice.headers)
    assert got.status_code == 200 and got.content == NOTE
    assert got.headers["content-type"].startswith("text/plain")
    assert 'filename="note.txt"' in got.headers["content-disposition"]
    other = client.get(f"/api/v1/chat/{chat_id}/files/{files[1]['fileid']}", headers=alice.headers)
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9%20notes.md" in other.headers["content-disposition"]

    # The upload is searchable in its chat.
    answer = platform.answers.ask(
        "Who designed the Zorblax reactor?",
        user_id=alice.user.id,
        session_id=str(chat_id),
        owner=alice.user.id,
        chat_id=str(chat_id),
    )
    assert "Okonkwo" in answer.answer

    for _ in range(2):  # idempotent
        gone = client.delete(f"/api/v1/chat/{chat_id}/files/{first['fileid']}", headers=alice.headers)
        assert gone.status_code == 204
    assert (
        client.get(f"/api/v1/chat/{chat_id}/files/{first['fileid']}", headers=alice.headers).status_code
        == 404
    )
    assert [
        f["fileid"] for f in client.get(f"/api/v1/chat/{chat_id}/files", headers=alice.headers).json()
    ] == [files[1]["fileid"]]
    assert not platform.files.exists(first["object_key"])


def test_messages_of_a_chat(client: httpx.Client, alice: SignedIn, platform: Platform) -> None:
    chat_id = str(new_chat(client, alice)["chat_id"])
    assert client.get(f"/api/v1/chat/{chat_id}/messages", headers=alice.headers).json() == []
    platform.answers.ask(
        "Who invented the atmospheric engine?",
        user_id=alice.user.id,
        session_id=chat_id,
        owner=alice.user.id,
        chat_id=chat_id,
    )
    messages = client.get(f"/api/v1/chat/{chat_id}/messages", headers=alice.headers).json()
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["content"] == "Who invented the atmospheric engine?"
    assert all(
        m["chat_id"] == chat_id and m["files"] == [] and m["message_id"] and m["timestamp"] for m in messages
    )
    last = client.get(f"/api/v1/chat/{chat_id}/messages", params={"limit": 1}, headers=alice.headers).json()
    assert [m["role"] for m in last] == ["assistant"]


@pytest.mark.parametrize(
    ("bad", "status"),
    [
        (("tool.exe", b"MZ\x90\x00binary", "application/x-msdownload"), 415),
        (("empty.txt", b"", "text/plain"), 422),
    ],
)
def test_a_refused_file_leaves_nothing_behind(
    client: httpx.Client, alice: SignedIn, platform: Platform, bad: tuple[str, bytes, str], status: int
) -> None:
    chat_id = new_chat(client, alice)["chat_id"]
    r = upload(client, alice, chat_id, ("good.txt", NOTE, "text/plain"), bad)
    assert r.status_code == status, r.text
    assert bad[0] in r.json()["detail"] or status == 422
    assert client.get(f"/api/v1/chat/{chat_id}/files", headers=alice.headers).json() == []
    assert platform.content.list_documents(owner=alice.user.id) == []


def test_a_file_over_the_limit_is_refused_with_413(
    client: httpx.Client, alice: SignedIn, platform: Platform
) -> None:
    chat_id = new_chat(client, alice)["chat_id"]
    big = b"a" * (platform.settings.serve.max_upload_bytes + 1)
    r = upload(client, alice, chat_id, ("good.txt", NOTE, "text/plain"), ("big.txt", big, "text/plain"))
    assert r.status_code == 413 and "big.txt" in r.json()["detail"]
    assert r.json()["field"] == "files"
    assert client.get(f"/api/v1/chat/{chat_id}/files", headers=alice.headers).json() == []


def test_deleting_a_chat_deletes_its_messages_and_files(
    client: httpx.Client, alice: SignedIn, platform: Platform
) -> None:
    from ragplatform.answering.service import USER_DOCUMENTS
    from ragplatform.errors import NotFound

    chat_id = str(new_chat(client, alice)["chat_id"])
    record = upload(client, alice, chat_id, ("note.txt", NOTE, "text/plain")).json()[0]
    platform.answers.ask(
        "Who designed the Zorblax reactor?",
        user_id=alice.user.id,
        session_id=chat_id,
        owner=alice.user.id,
        chat_id=chat_id,
    )
    assert platform.index.count(USER_DOCUMENTS, {"doc_id": record["fileid"]}) > 0

    assert client.delete(f"/api/v1/chat/{chat_id}", headers=alice.headers).status_code == 204
    assert client.get(f"/api/v1/chat/{chat_id}", headers=alice.headers).status_code == 404
    assert client.get(f"/api/v1/chat/{chat_id}/messages", headers=alice.headers).status_code == 404
    assert client.delete(f"/api/v1/chat/{chat_id}", headers=alice.headers).status_code == 404
    with pytest.raises(NotFound):
        platform.content.get_document(record["fileid"])
    assert not platform.files.exists(record["object_key"])
    assert platform.index.count(USER_DOCUMENTS, {"doc_id": record["fileid"]}) == 0
    assert platform.sessions.search_messages(user_id=alice.user.id) == []


def test_odd_ids_are_not_found(client: httpx.Client, alice: SignedIn) -> None:
    chat_id = new_chat(client, alice)["chat_id"]
    for path in ["/api/v1/chat/%00", "/api/v1/chat/x%00y/files", f"/api/v1/chat/{chat_id}/files/%00"]:
        r = client.get(path, headers=alice.headers)
        assert r.status_code in (404, 422), (path, r.status_code)
    # A NUL can name no stored file: refused as input (422, naming the parameter), not deleted.
    assert client.delete(f"/api/v1/chat/{chat_id}/files/%00", headers=alice.headers).status_code == 422
