"""Documents to Chunks with LlamaIndex's node parsers, per ChunkingSpec.

Strategies (sizes are tiktoken ``cl100k_base`` tokens, LlamaIndex's default
tokenizer, loaded offline from ``TIKTOKEN_CACHE_DIR``):

- ``sentence``: SentenceSplitter; packs whole sentences, prefers paragraph
  breaks (blank lines).
- ``token``: TokenTextSplitter; fixed windows on word boundaries.
- ``markdown``: MarkdownNodeParser, one piece per heading section (the heading
  path becomes ``Chunk.section``), long sections split again by sentences.
- ``semantic``: SemanticSplitterNodeParser over our Embedder (breaks where
  consecutive sentences drift apart), pieces over ``chunk_size`` split again
  by sentences.

Chunk ids are content addressed: ``sha256(doc_id, position, text)[:32]``, so
the same document chunked the same way gives the same ids on every run and
machine, and an edit changes only the ids of the chunks it touches (and those
after it, whose position may move).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import PrivateAttr

from ragplatform.embeddings.base import Embedder
from ragplatform.errors import InvalidInput
from ragplatform.schema import Chunk, Document
from ragplatform.spec import ChunkingSpec

# Document metadata that becomes a first-class Chunk field rather than ``extra``.
_CHUNK_FIELDS = ("source", "title", "section", "owner", "chat_id", "kind")
_HEADER_SEP = "\x1f"

# (text, section) pieces of one document, in order.
_Splitter = Callable[[Document], list[tuple[str, str]]]


def chunk_documents(
    docs: Sequence[Document], spec: ChunkingSpec, embedder: Embedder | None = None
) -> list[Chunk]:
    """Split ``docs`` into Chunks, in document order, carrying each document's metadata.

    ``Chunk.section`` is the markdown heading path (markdown strategy), else the
    document's ``section``, else ``page N`` for a PDF page. Metadata that has no
    Chunk field goes into ``extra``, with ``chunk_index`` (position in the document).

    Raises InvalidInput for the semantic strategy without an embedder, and for
    two documents with the same id (their chunk ids could collide).
    """
    seen: set[str] = set()
    for doc in docs:
        if doc.id in seen:
            raise InvalidInput(
                f"duplicate document id '{doc.id}': document ids must be unique", field="id", value=doc.id
            )
        seen.add(doc.id)
    split = _splitter(spec, embedder)
    chunks: list[Chunk] = []
    for doc in docs:
        pieces = [(text.strip(), section) for text, section in split(doc) if text.strip()]
        if spec.title_prefix:
            pieces = [(_with_title(doc, text), section) for text, section in pieces]
        chunks.extend(_chunk(doc, index, text, section) for index, (text, section) in enumerate(pieces))
    return chunks


def _with_title(doc: Document, text: str) -> str:
    title = str(doc.metadata.get("title") or "").strip()
    if not title or text.startswith(title):
        return text
    return f"{title}\n\n{text}"


def chunk_id(doc_id: str, index: int, text: str) -> str:
    """Stable, content-addressed chunk id."""
    return hashlib.sha256(f"{doc_id}\0{index}\0{text}".encode()).hexdigest()[:32]


def _chunk(doc: Document, index: int, text: str, section: str) -> Chunk:
    meta = doc.metadata
    if not section:
        section = str(meta.get("section") or "")
    if not section and meta.get("page") is not None:
        section = f"page {meta['page']}"
    extra = {k: v for k, v in meta.items() if k not in _CHUNK_FIELDS}
    extra["chunk_index"] = index
    return Chunk(
        id=chunk_id(doc.id, index, text),
        doc_id=doc.id,
        text=text,
        source=str(meta.get("source") or ""),
        title=str(meta.get("title") or ""),
        section=section,
        owner=str(meta.get("owner") or ""),
        chat_id=str(meta.get("chat_id") or ""),
        kind=str(meta.get("kind") or "file"),
        extra=extra,
    )


def _sentences() -> Callable[[str], list[str]]:
    """Punkt sentence splitting, built here so LlamaIndex's NLTK data check (which may download) never runs."""
    from llama_index.core.node_parser.text.utils import split_by_sentence_tokenizer_internal
    from nltk.tokenize import PunktSentenceTokenizer

    punkt = PunktSentenceTokenizer()
    return lambda text: split_by_sentence_tokenizer_internal(text, punkt)


def _word_cached_tokenizer() -> Callable[[str], list[int]]:
    """LlamaIndex's tokenizer, memoised for short strings: TokenTextSplitter tokenizes word by word
    (several times per word), and words repeat, so this halves its run time."""
    from llama_index.core.utils import get_tokenizer

    encode: Callable[[str], list[int]] = get_tokenizer()
    short = functools.lru_cache(maxsize=1 << 17)(encode)
    return lambda text: short(text) if len(text) <= 32 else encode(text)


def _splitter(spec: ChunkingSpec, embedder: Embedder | None) -> _Splitter:
    from llama_index.core.node_parser import SentenceSplitter, TokenTextSplitter

    sentences = _sentences()
    by_sentence = SentenceSplitter(
        chunk_size=spec.chunk_size,
        chunk_overlap=spec.chunk_overlap,
        paragraph_separator="\n\n",
        chunking_tokenizer_fn=sentences,
    )
    if spec.strategy == "sentence":
        return lambda doc: [(t, "") for t in by_sentence.split_text(doc.text)]
    if spec.strategy == "token":
        by_token = TokenTextSplitter(
            chunk_size=spec.chunk_size, chunk_overlap=spec.chunk_overlap, tokenizer=_word_cached_tokenizer()
        )
        return lambda doc: [(t, "") for t in by_token.split_text(doc.text)]
    if spec.strategy == "markdown":
        return _markdown_splitter(by_sentence)
    if embedder is None:
        raise InvalidInput("the semantic chunking strategy needs an embedder, got None", field="embedder")
    return _semantic_splitter(spec, embedder, sentences, by_sentence)


def _markdown_splitter(by_sentence: Any) -> _Splitter:
    from llama_index.core.node_parser import MarkdownNodeParser
    from llama_index.core.schema import TextNode

    parser = MarkdownNodeParser(header_path_separator=_HEADER_SEP, include_prev_next_rel=False)

    def split(doc: Document) -> list[tuple[str, str]]:
        sections = []
        for node in parser.get_nodes_from_node(TextNode(text=doc.text)):
            text = node.get_content()
            first, _, body = text.partition("\n")
            path = [p for p in str(node.metadata.get("header_path", "")).split(_HEADER_SEP) if p]
            if first.startswith("#"):
                path.append(first.lstrip("#").strip())
                if not body.strip():
                    continue  # a heading with nothing under it before the next heading
            sections.append((text, " > ".join(path)))
        if not sections and doc.text.strip():
            sections = [(doc.text, "")]
        return [(piece, section) for text, section in sections for piece in by_sentence.split_text(text)]

    return split


class EmbedderAdapter(BaseEmbedding):
    """Our Embedder as a LlamaIndex BaseEmbedding, for LlamaIndex components that need one."""

    _embedder: Embedder = PrivateAttr()

    def __init__(self, embedder: Embedder, embed_batch_size: int = 64) -> None:
        super().__init__(model_name=embedder.model_id, embed_batch_size=embed_batch_size)
        self._embedder = embedder

    @classmethod
    def class_name(cls) -> str:
        return "RagPlatformEmbedderAdapter"

    def _get_query_embedding(self, query: str) -> list[float]:
        return [float(x) for x in self._embedder.embed_query(query)]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in self._embedder.embed_documents(texts)]


def _semantic_splitter(
    spec: ChunkingSpec, embedder: Embedder, sentences: Callable[[str], list[str]], by_sentence: Any
) -> _Splitter:
    from llama_index.core.node_parser import SemanticSplitterNodeParser
    from llama_index.core.schema import Document as LlamaDocument

    parser = SemanticSplitterNodeParser(
        embed_model=EmbedderAdapter(embedder),
        buffer_size=1,
        breakpoint_percentile_threshold=spec.semantic_breakpoint_percentile,
        sentence_splitter=sentences,
        include_metadata=False,
        include_prev_next_rel=False,
    )

    def split(doc: Document) -> list[tuple[str, str]]:
        if not doc.text.strip():
            return []
        nodes = parser.build_semantic_nodes_from_documents([LlamaDocument(text=doc.text)])
        return [(piece, "") for node in nodes for piece in by_sentence.split_text(node.get_content())]

    return split
