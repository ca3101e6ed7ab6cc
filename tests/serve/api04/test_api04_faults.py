"""Storage faults under ``POST /api/upload`` (issue 9's fault probe): a read-only files folder, a
full disk and a read-only LanceDB folder answer 503 with a detail a person can act on, leave no
temporary file behind and list no document for the upload that did not complete."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from api04_support import Account

from fault_support import read_only, tiny_disk

if TYPE_CHECKING:
    from ragplatform.factory import Platform

TEXT = b"The atmospheric engine was invented by Thomas Newcomen in 1712. " * 40


def listed(client: httpx.Client, account: Account) -> list[str]:
    r = client.get("/api/documents", headers=account.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    items = body if isinstance(body, list) else body["documents"]
    return [d["filename"] for d in items]


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and p.name.startswith(".")]


@pytest.fixture
def files_dir(platform: Platform) -> Iterator[Path]:
    path = platform.settings.files_dir
    path.mkdir(parents=True, exist_ok=True)
    yield path


Fault = Callable[[Path], AbstractContextManager[None]]


@pytest.mark.parametrize(
    ("fault", "words"),
    [(read_only, "read-only"), (lambda p: tiny_disk(p, 16), "full")],
    ids=["read-only", "disk-full"],
)
def test_a_files_folder_that_refuses_the_write_is_a_503(
    client: httpx.Client, alice: Account, files_dir: Path, fault: Fault, words: str
) -> None:
    name = f"fault-{words}.txt"
    with fault(files_dir):
        r = client.post("/api/upload", files={"file": (name, TEXT * 20, "text/plain")}, headers=alice.headers)
        assert r.status_code == 503, r.text
        assert words in r.json()["detail"] and "Errno" not in r.json()["detail"]
        assert leftovers(files_dir) == []
    assert name not in listed(client, alice)
    again = client.post("/api/upload", files={"file": (name, TEXT, "text/plain")}, headers=alice.headers)
    assert again.status_code == 201, again.text  # the store recovers once the folder is writable


def test_a_vector_index_that_refuses_the_write_leaves_no_document(
    client: httpx.Client, alice: Account, platform: Platform
) -> None:
    with read_only(platform.settings.lancedb_dir):
        r = client.post(
            "/api/upload", files={"file": ("lance-ro.txt", TEXT, "text/plain")}, headers=alice.headers
        )
    assert r.status_code == 503, r.text
    assert "lance-ro.txt" not in listed(client, alice)
