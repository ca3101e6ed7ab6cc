"""Each chunking strategy: sizes, overlap, stable ids, carried metadata, markdown sections, semantic breaks."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Sequence

import numpy as np
import pytest
from llama_index.core.utils import get_tokenizer

from ragplatform.errors import InvalidInput
from ragplatform.ingest.chunking import chunk_documents
from ragplatform.schema import Document
from ragplatform.spec import ChunkingSpec

ENCODE = get_tokenizer()  # cl100k_base from the cache LlamaIndex ships, never downloaded
SENTENCES = [f"Sentence number {i} talks about topic {i % 7} in plain words." for i in range(60)]
LONG = Document(
    id="handbook.txt",
    text=" ".join(SENTENCES),
    metadata={
        "source": "docs/handbook.txt",
        "title": "Handbook",
        "owner": "alice",
        "chat_id": "c9",
        "lang": "en",
    },
)


def tokens(text: str) -> int:
    return len(ENCODE(text))


class BagOfWordsEmbedder:
    """A deterministic Embedder: hashed word counts, so texts sharing words are close."""

    model_id = "test/bag-of-words"
    dim = 256

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


def test_sentence_chunks_respect_size_and_overlap_by_whole_sentences() -> None:
    chunks = chunk_documents([LONG], ChunkingSpec(strategy="sentence", chunk_size=60, chunk_overlap=15))
    assert len(chunks) > 5
    assert all(tokens(c.text) <= 60 for c in chunks)
    for prev, nxt in itertools.pairwise(chunks):
        last_sentence = prev.text.split(". ")[-1].rstrip(".")
        assert last_sentence in nxt.text  # the overlap carries the previous chunk's tail
        assert nxt.text.startswith("Sentence number")  # chunks start on a sentence boundary
    covered = " ".join(c.text for c in chunks)
    assert all(s in covered for s in SENTENCES)


def test_token_chunks_respect_size_and_overlap() -> None:
    chunks = chunk_documents([LONG], ChunkingSpec(strategy="token", chunk_size=40, chunk_overlap=10))
    assert len(chunks) > 10
    # LlamaIndex counts word by word; a chunk re-encoded on its own may differ by a token at its start.
    assert all(tokens(c.text) <= 41 for c in chunks)
    for prev, nxt in itertools.pairwise(chunks):
        tail = prev.text.split()[-3:]
        assert " ".join(tail) in nxt.text


def test_ids_are_stable_unique_and_content_addressed() -> None:
    spec = ChunkingSpec(strategy="sentence", chunk_size=60, chunk_overlap=15)
    first = chunk_documents([LONG], spec)
    second = chunk_documents([LONG], spec)
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)
    assert all(re.fullmatch(r"[0-9a-f]{32}", c.id) for c in first)
    renamed = Document(id="other.txt", text=LONG.text, metadata=LONG.metadata)
    assert {c.id for c in chunk_documents([renamed], spec)}.isdisjoint(c.id for c in first)
    edited = Document(
        id=LONG.id, text=LONG.text.replace("number 59", "number fifty-nine"), metadata=LONG.metadata
    )
    edited_ids = [c.id for c in chunk_documents([edited], spec)]
    assert edited_ids[0] == first[0].id and edited_ids[-1] != first[-1].id


def test_metadata_is_carried_into_chunk_fields_and_extra() -> None:
    chunks = chunk_documents([LONG], ChunkingSpec(chunk_size=60, chunk_overlap=10))
    for index, chunk in enumerate(chunks):
        assert chunk.doc_id == "handbook.txt"
        assert (chunk.source, chunk.title, chunk.owner, chunk.chat_id) == (
            "docs/handbook.txt",
            "Handbook",
            "alice",
            "c9",
        )
        assert chunk.kind == "file"
        assert chunk.extra == {"lang": "en", "chunk_index": index}


def test_pdf_page_becomes_the_section() -> None:
    page = Document(
        id="r.pdf#page=4", text="Results are on this page.", metadata={"source": "r.pdf", "page": 4}
    )
    [chunk] = chunk_documents([page], ChunkingSpec())
    assert chunk.section == "page 4"
    assert chunk.extra["page"] == 4


def test_markdown_chunks_follow_heading_sections() -> None:
    text = textwrap.dedent(
        """\
        # Guide

        Welcome to the guide.

        ## Install

        ### Linux

        Use the package manager.

        ## Usage

        """
    ) + " ".join(SENTENCES[:30])
    doc = Document(id="guide.md", text=text, metadata={"source": "guide.md", "title": "Guide"})
    chunks = chunk_documents([doc], ChunkingSpec(strategy="markdown", chunk_size=64, chunk_overlap=8))
    sections = [c.section for c in chunks]
    assert sections[:2] == ["Guide", "Guide > Install > Linux"]
    assert set(sections[2:]) == {"Guide > Usage"} and len(sections) > 3  # the long section is split again
    assert chunks[1].text == "### Linux\n\nUse the package manager."
    assert "Install" not in sections  # a heading with nothing under it is not a chunk
    assert all(tokens(c.text) <= 64 for c in chunks)


def test_semantic_chunks_break_where_the_topic_changes() -> None:
    cats = [
        "Cats purr when they are content.",
        "Cats sleep most of the day.",
        "Cats groom their fur often.",
        "Cats hunt mice at night.",
    ]
    rockets = [
        "Rockets burn liquid fuel.",
        "Rockets need strong engines.",
        "Rockets launch satellites into orbit.",
        "Rockets return to the launch pad.",
    ]
    doc = Document(id="mix.txt", text=" ".join(cats + rockets), metadata={"source": "mix.txt"})
    spec = ChunkingSpec(
        strategy="semantic", chunk_size=256, chunk_overlap=0, semantic_breakpoint_percentile=90
    )
    chunks = chunk_documents([doc], spec, embedder=BagOfWordsEmbedder())
    assert len(chunks) == 2
    # LlamaIndex compares windows of 3 sentences (buffer_size=1): the break lands within a sentence of the change.
    assert all(s in chunks[0].text for s in cats) and chunks[0].text.count("Rockets") <= 1
    assert "Cats" not in chunks[1].text and rockets[-1] in chunks[1].text
    assert [c.id for c in chunk_documents([doc], spec, embedder=BagOfWordsEmbedder())] == [
        c.id for c in chunks
    ]


def test_semantic_without_embedder_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="semantic chunking strategy needs an embedder"):
        chunk_documents([LONG], ChunkingSpec(strategy="semantic"))


def test_duplicate_document_ids_are_refused() -> None:
    with pytest.raises(InvalidInput, match=r"duplicate document id 'handbook\.txt'"):
        chunk_documents([LONG, LONG], ChunkingSpec())


def test_blank_documents_give_no_chunks() -> None:
    for strategy in ("sentence", "token", "markdown", "semantic"):
        spec = ChunkingSpec(strategy=strategy)
        assert chunk_documents([Document(id="blank", text="  \n ")], spec, BagOfWordsEmbedder()) == []


def test_chunking_loads_its_tokenizers_without_the_network() -> None:
    """In a fresh process (cold tokenizer caches) with every socket connect refused."""
    script = textwrap.dedent(
        """
        import socket
        def refuse(self, address):
            raise RuntimeError(f"network access to {address}")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        from ragplatform.ingest.chunking import chunk_documents
        from ragplatform.schema import Document
        from ragplatform.spec import ChunkingSpec
        doc = Document(id="d", text="# Title\\n\\nOne sentence here. Another one there. " * 40)
        for strategy in ("sentence", "token", "markdown"):
            assert chunk_documents([doc], ChunkingSpec(strategy=strategy, chunk_size=64, chunk_overlap=8))
        print("ok")
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("NLTK_DATA",)}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


def test_title_prefix_heads_every_chunk_with_the_document_title_once() -> None:
    plain = chunk_documents([LONG], ChunkingSpec(chunk_size=60, chunk_overlap=10))
    titled = chunk_documents([LONG], ChunkingSpec(chunk_size=60, chunk_overlap=10, title_prefix=True))
    assert len(titled) == len(plain) > 2
    for before, after in zip(plain, titled, strict=True):
        assert after.text == f"Handbook\n\n{before.text}"
        assert after.id != before.id
    starts_with_title = Document(id="t.md", text="Handbook\n\nShort body.", metadata={"title": "Handbook"})
    [chunk] = chunk_documents([starts_with_title], ChunkingSpec(title_prefix=True))
    assert chunk.text == "Handbook\n\nShort body."  # not repeated
    untitled = Document(id="u.txt", text="No title here.", metadata={})
    [chunk] = chunk_documents([untitled], ChunkingSpec(title_prefix=True))
    assert chunk.text == "No title here."
