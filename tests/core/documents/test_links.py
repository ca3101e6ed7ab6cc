"""Signed download links: work without a bearer token, only for their document, only until they expire."""

from __future__ import annotations

import re

import pytest
from pydantic import SecretStr

from ragplatform.documents.links import DownloadLinks
from ragplatform.errors import InvalidInput, Unauthorized


class Clock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def links(clock: Clock) -> DownloadLinks:
    return DownloadLinks(SecretStr("the-jwt-secret"), default_ttl_s=600, clock=clock)


def test_a_signed_link_names_its_document_and_is_url_safe(links: DownloadLinks) -> None:
    token = links.sign_download("3f0e9c8e-5a4c-4a53-9f55-6c2d1b7e0a11")
    assert re.fullmatch(r"[A-Za-z0-9_\-]+\.[0-9]+\.[A-Za-z0-9_\-]+", token)
    assert links.verify_download(token) == "3f0e9c8e-5a4c-4a53-9f55-6c2d1b7e0a11"


def test_a_link_expires_after_its_ttl(links: DownloadLinks, clock: Clock) -> None:
    token = links.sign_download("doc-1", ttl_s=60)
    clock.now += 60
    assert links.verify_download(token) == "doc-1"
    clock.now += 1
    with pytest.raises(Unauthorized, match="expired"):
        links.verify_download(token)
    default = links.sign_download("doc-1")
    clock.now += 600
    assert links.verify_download(default) == "doc-1"


def test_a_tampered_link_is_refused(links: DownloadLinks) -> None:
    token = links.sign_download("doc-1")
    doc, expires, signature = token.split(".")
    other_doc = links.sign_download("doc-2").split(".")[0]
    for forged in (
        f"{other_doc}.{expires}.{signature}",  # another document
        f"{doc}.{int(expires) + 86_400}.{signature}",  # a later expiry
        f"{doc}.{expires}.{signature[:-2]}AA",
        f"{doc}.{expires}",
        "",
        "a.b.c",
        "..",
        f"{doc}.{expires}.{signature}.extra",
        f"{doc}.\u00b2.{signature}",
        "x" * 10_000,
    ):
        with pytest.raises(Unauthorized, match="invalid download link"):
            links.verify_download(forged)


def test_another_secret_does_not_verify(links: DownloadLinks, clock: Clock) -> None:
    token = links.sign_download("doc-1")
    with pytest.raises(Unauthorized):
        DownloadLinks("another-secret", clock=clock).verify_download(token)


def test_bad_arguments_name_the_field() -> None:
    links = DownloadLinks("s")
    with pytest.raises(InvalidInput, match="ttl_s must be between 1 and 604800 seconds, got 0") as caught:
        links.sign_download("doc", ttl_s=0)
    assert caught.value.field == "ttl_s"
    with pytest.raises(InvalidInput, match="doc_id"):
        links.sign_download("")
    with pytest.raises(InvalidInput, match="secret"):
        DownloadLinks("")
