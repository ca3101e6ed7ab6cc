"""Weaviate implementation of VectorIndex (weaviate-client v4, server >= 1.32 for aliases).

One Weaviate collection per collection name, bring-your-own vectors on an
HNSW index with cosine distance. Keyword search is Weaviate's BM25 on the
``text`` property (word tokenization, English stop words, no stemming);
hybrid uses Weaviate's own fusion: ``relativeScore`` for ``fusion="alpha"``
and ``rankedFusion`` for ``fusion="rrf"`` (Weaviate fixes k=60, so
``rrf_k`` is not used). Collection aliases are Weaviate's alias API.

Weaviate spells collection names with a capital first letter and no ``-`` or
``.``; names are normalised that way (``demo-v1.2`` → ``Demo_v1_2``) in every
method, and ``list_collections`` returns the stored spelling.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import grpc
import httpx
import numpy as np

from ragplatform.errors import (
    BackendUnavailable,
    Conflict,
    InvalidInput,
    NotFound,
    RagPlatformError,
)
from ragplatform.schema import FILTERABLE_FIELDS, Chunk, SearchHit
from ragplatform.vectorindex.base import Filters, VectorQuery

try:
    import weaviate
    from weaviate.classes.config import Configure, DataType, Property, Tokenization, VectorDistances
    from weaviate.classes.data import DataObject
    from weaviate.classes.init import AdditionalConfig, Auth, Timeout
    from weaviate.classes.query import Filter, HybridFusion, MetadataQuery
    from weaviate.exceptions import (
        UnexpectedStatusCodeError,
        WeaviateBaseError,
        WeaviateClosedClientError,
        WeaviateConnectionError,
        WeaviateGRPCUnavailableError,
        WeaviateInvalidInputError,
        WeaviateStartUpError,
        WeaviateTimeoutError,
    )
    from weaviate.util import generate_uuid5
except ImportError as exc:  # pragma: no cover - weaviate-client is a core dependency
    raise ImportError(
        "WeaviateVectorIndex needs weaviate-client: pip install 'weaviate-client>=4.20,<4.24'"
    ) from exc

log = logging.getLogger(__name__)

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,127}$")
# "id" is reserved by Weaviate: the chunk id is stored as chunk_id and hashed into the object UUID.
_PROPS = ("chunk_id", "doc_id", "text", "source", "title", "section", "owner", "chat_id", "kind", "extra")
_NO_MATCH = object()


def weaviate_name(name: str) -> str:
    """The spelling Weaviate stores: capital first letter, ``-`` and ``.`` as ``_``. Raises InvalidInput."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InvalidInput(
            f"collection name must start with a letter and use letters, digits, '_', '.', '-': {name!r}",
            field="collection",
            value=name if isinstance(name, str) else None,
        )
    name = name.replace("-", "_").replace(".", "_")
    return name[0].upper() + name[1:]


def _properties() -> list[Property]:
    props = [Property(name="text", data_type=DataType.TEXT, tokenization=Tokenization.WORD)]
    for name in _PROPS:
        if name == "text":
            continue
        # Exact-match fields: one token per value, filterable, not part of BM25.
        props.append(
            Property(
                name=name,
                data_type=DataType.TEXT,
                tokenization=Tokenization.FIELD,
                index_searchable=False,
                index_filterable=name != "extra",
                skip_vectorization=True,
            )
        )
    return props


def _to_filter(filters: Filters | None) -> Any:
    """Weaviate filter for ``filters``; None for no filter; ``_NO_MATCH`` when an empty list makes it unsatisfiable."""
    if not filters:
        return None
    parts = []
    for key, value in filters.items():
        if key not in FILTERABLE_FIELDS:
            raise InvalidInput(
                f"cannot filter on {key!r}; filterable fields: {', '.join(FILTERABLE_FIELDS)}",
                field="filters",
                value=key,
            )
        values = [value] if isinstance(value, str) else list(value)
        if not values:
            return _NO_MATCH
        if not all(isinstance(v, str) for v in values):
            raise InvalidInput(f"filter values must be strings, got {value!r}", field="filters")
        prop = Filter.by_property(key)
        # Empty strings are stored as null (Weaviate indexes no token for ""), so "" matches null.
        options = []
        if "" in values:
            options.append(prop.is_none(True))
        present = [v for v in values if v]
        if len(present) == 1:
            options.append(prop.equal(present[0]))
        elif present:
            options.append(prop.contains_any(present))
        parts.append(options[0] if len(options) == 1 else Filter.any_of(options))
    return parts[0] if len(parts) == 1 else Filter.all_of(parts)


UNREACHABLE = "Weaviate cannot be reached; try again shortly"
_UNREACHABLE_TYPES = (
    WeaviateConnectionError,
    WeaviateGRPCUnavailableError,
    WeaviateTimeoutError,
    WeaviateStartUpError,
    WeaviateClosedClientError,
)


@contextmanager
def weaviate_errors(collection: str | None = None) -> Iterator[None]:
    """Translate weaviate-client's errors raised inside the block, and nothing else.

    The client raises ``WeaviateBaseError`` subclasses; a few transport failures come through as
    httpx's ``HTTPError`` (a read error, a dropped connection) or grpc's ``RpcError``. So:

    - no connection, a timeout, a closed client, httpx and gRPC transport errors →
      ``BackendUnavailable``;
    - ``WeaviateInvalidInputError`` and HTTP 422 → ``InvalidInput``; HTTP 404 or "could not find
      class" → ``NotFound``; HTTP 409 or "already exists" → ``Conflict``;
    - any other ``WeaviateBaseError`` (401/403, 5xx, a failed query) → ``BackendUnavailable``.

    Anything else (a ``TypeError`` in our code, say) passes through unchanged: it is a bug.
    The driver's text goes to the log, never into the message.
    """
    subject = "Weaviate" if collection is None else f"collection {collection!r}"
    try:
        yield
    except RagPlatformError:
        raise
    except (*_UNREACHABLE_TYPES, httpx.HTTPError, grpc.RpcError) as exc:
        log.warning("Weaviate unavailable (%s)", subject, exc_info=True)
        raise BackendUnavailable(UNREACHABLE) from exc
    except WeaviateInvalidInputError as exc:
        log.info("Weaviate refused a request on %s: %s", subject, exc)
        raise InvalidInput(f"Weaviate refused the request on {subject} as invalid") from exc
    except WeaviateBaseError as exc:
        low = str(exc).lower()
        status = exc.status_code if isinstance(exc, UnexpectedStatusCodeError) else None
        if status == 404 or "could not find class" in low or "not found" in low:
            raise NotFound(f"{subject} does not exist") from exc
        if status == 409 or "already exists" in low:
            raise Conflict(f"{subject} already exists") from exc
        if status == 422:
            log.info("Weaviate refused a request on %s: %s", subject, exc)
            raise InvalidInput(f"Weaviate refused the request on {subject} as invalid") from exc
        log.warning("Weaviate failed on %s", subject, exc_info=True)
        if status in (401, 403):
            raise BackendUnavailable("Weaviate refused the credentials; check WEAVIATE_API_KEY") from exc
        raise BackendUnavailable(f"Weaviate failed on {subject}; try again shortly") from exc


class WeaviateVectorIndex:
    """VectorIndex on a Weaviate server. Close it (or use ``with``) to release the connection.

    Raises BackendUnavailable when the server cannot be reached.
    """

    engine = "weaviate"

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        grpc_port: int | None = None,
        *,
        grpc_host: str | None = None,
        timeout_s: float = 30.0,
        client: Any = None,
    ) -> None:
        self._dims: dict[str, int] = {}
        if client is not None:
            self._client = client
            return
        parsed = urlparse(url if "://" in url else f"http://{url}")
        if not parsed.hostname:
            raise InvalidInput(f"WEAVIATE_URL must look like http://host:8080, got {url!r}", field="url")
        secure = parsed.scheme == "https"
        try:
            port = parsed.port
        except ValueError as exc:  # urllib's answer to a port that is not a number in 0..65535
            raise InvalidInput(
                f"WEAVIATE_URL must look like http://host:8080, got {url!r}", field="url"
            ) from exc
        http_port = port or (443 if secure else 8080)
        try:
            with weaviate_errors():
                self._client = weaviate.connect_to_custom(
                    http_host=parsed.hostname,
                    http_port=http_port,
                    http_secure=secure,
                    grpc_host=grpc_host or parsed.hostname,
                    grpc_port=grpc_port or (443 if secure and grpc_host else 50051),
                    grpc_secure=secure,
                    auth_credentials=Auth.api_key(api_key) if api_key else None,
                    additional_config=AdditionalConfig(
                        timeout=Timeout(init=10, query=timeout_s, insert=timeout_s * 4)
                    ),
                    skip_init_checks=True,
                )
        except BackendUnavailable:
            log.warning("cannot connect to Weaviate at %s:%s", parsed.hostname, http_port)
            raise

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> WeaviateVectorIndex:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- collections -------------------------------------------------------

    def create_collection(self, name: str, dim: int) -> None:
        """Raises InvalidInput, Conflict (exists, or an alias has this name)."""
        wname = weaviate_name(name)
        if not isinstance(dim, int) or dim < 1:
            raise InvalidInput(f"dim must be a positive integer, got {dim!r}", field="dim", value=dim)
        with weaviate_errors(name):
            if self._client.collections.exists(wname) or self._client.alias.get(alias_name=wname) is not None:
                raise Conflict(f"collection {name!r} already exists")
            self._client.collections.create(
                wname,
                description=json.dumps({"dim": dim, "created_by": "ragplatform"}),
                properties=_properties(),
                vector_config=Configure.Vectors.self_provided(
                    vector_index_config=Configure.VectorIndex.hnsw(distance_metric=VectorDistances.COSINE)
                ),
                inverted_index_config=Configure.inverted_index(index_null_state=True),
            )

    def drop_collection(self, name: str) -> None:
        """Raises NotFound."""
        wname = self._existing(name)
        with weaviate_errors(name):
            for alias in self._client.alias.list_all(collection=wname):
                self._client.alias.delete(alias_name=alias)
            self._client.collections.delete(wname)
        self._dims.pop(wname, None)

    def has_collection(self, name: str) -> bool:
        wname = weaviate_name(name)
        with weaviate_errors(name):
            return bool(self._client.collections.exists(wname))

    def list_collections(self) -> list[str]:
        with weaviate_errors():
            return sorted(self._client.collections.list_all(simple=True))

    # -- writes ------------------------------------------------------------

    def upsert(self, collection: str, chunks: Sequence[Chunk], vectors: np.ndarray) -> int:
        """Insert or replace by chunk id (the object UUID is uuid5 of it). Raises NotFound, InvalidInput."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(chunks):
            raise InvalidInput(
                f"vectors must have shape ({len(chunks)}, dim), got {vectors.shape}", field="vectors"
            )
        if not chunks:
            return 0
        if not np.isfinite(vectors).all():
            raise InvalidInput("vectors contain NaN or infinite values", field="vectors")
        handle = self._collection(collection)
        dim = self._dim(handle)
        if dim is not None and vectors.shape[1] != dim:
            raise InvalidInput(
                f"collection {collection!r} has dim {dim}, got vectors of dim {vectors.shape[1]}",
                field="vectors",
                value=int(vectors.shape[1]),
            )
        last = {c.id: i for i, c in enumerate(chunks)}
        objects = [
            DataObject(
                properties=self._props(chunks[i]),
                uuid=generate_uuid5(chunks[i].id),
                vector=vectors[i].tolist(),
            )
            for i in sorted(last.values())
        ]
        with weaviate_errors(collection):
            result = handle.data.insert_many(objects)
        if result.has_errors:
            first = next(iter(result.errors.values()))
            log.warning(
                "Weaviate rejected %d objects in %r, first: %s", len(result.errors), collection, first.message
            )
            raise BackendUnavailable(
                f"Weaviate rejected {len(result.errors)} of {len(objects)} objects in collection {collection!r}; "
                "the server log has its reasons"
            )
        return len(objects)

    def delete(self, collection: str, filters: Filters) -> int:
        """Refuses empty filters. Raises NotFound, InvalidInput."""
        where = _to_filter(filters)
        if where is None:
            raise InvalidInput(
                "delete needs at least one filter (refusing to empty the collection)", field="filters"
            )
        handle = self._collection(collection)
        if where is _NO_MATCH:
            return 0
        with weaviate_errors(collection):
            return int(handle.data.delete_many(where=where).successful)

    def count(self, collection: str, filters: Filters | None = None) -> int:
        where = _to_filter(filters)
        handle = self._collection(collection)
        if where is _NO_MATCH:
            return 0
        with weaviate_errors(collection):
            return int(handle.aggregate.over_all(total_count=True, filters=where).total_count or 0)

    # -- search ------------------------------------------------------------

    def query(self, collection: str, query: VectorQuery) -> list[SearchHit]:
        """Best first. Raises NotFound, InvalidInput, BackendUnavailable."""
        query.validate()
        where = _to_filter(query.filters)
        handle = self._collection(collection)
        if where is _NO_MATCH:
            return []
        vector = None if query.vector is None else np.asarray(query.vector, dtype=np.float32).tolist()
        common: dict[str, Any] = {"limit": query.top_k, "filters": where, "return_properties": list(_PROPS)}
        with weaviate_errors(collection):
            if query.mode == "dense":
                result = handle.query.near_vector(
                    vector,
                    distance=query.distance_threshold,
                    return_metadata=MetadataQuery(distance=True),
                    **common,
                )
            elif query.mode == "keyword":
                result = handle.query.bm25(
                    query.text, query_properties=["text"], return_metadata=MetadataQuery(score=True), **common
                )
            else:
                rrf = query.fusion == "rrf"
                result = handle.query.hybrid(
                    query.text,
                    vector=vector,
                    alpha=0.5 if rrf else query.alpha,
                    fusion_type=HybridFusion.RANKED if rrf else HybridFusion.RELATIVE_SCORE,
                    query_properties=["text"],
                    max_vector_distance=query.distance_threshold,
                    return_metadata=MetadataQuery(score=True, distance=True),
                    **common,
                )
        return [self._hit(obj, query.mode) for obj in result.objects]

    # -- aliases -----------------------------------------------------------

    def set_alias(self, alias: str, collection: str) -> None:
        """Create or move ``alias``. Raises NotFound, Conflict (a collection has that name)."""
        walias, target = weaviate_name(alias), self._existing(collection)
        with weaviate_errors(alias):
            if self._client.collections.exists(walias):
                raise Conflict(f"{alias!r} is a collection name; an alias cannot shadow it")
            if self._client.alias.get(alias_name=walias) is None:
                self._client.alias.create(alias_name=walias, target_collection=target)
            else:
                self._client.alias.update(alias_name=walias, new_target_collection=target)

    def resolve_alias(self, alias: str) -> str | None:
        walias = weaviate_name(alias)
        with weaviate_errors(alias):
            found = self._client.alias.get(alias_name=walias)
        return None if found is None else str(found.collection)

    def delete_alias(self, alias: str) -> None:
        """Raises NotFound."""
        walias = weaviate_name(alias)
        with weaviate_errors(alias):
            deleted = self._client.alias.delete(alias_name=walias)
        if not deleted:
            raise NotFound(f"alias {alias!r} does not exist")

    def health(self) -> dict[str, Any]:
        try:
            with weaviate_errors():
                ready = bool(self._client.is_ready())
                version = self._client.get_meta().get("version") if ready else None
        except BackendUnavailable as exc:
            return {"engine": "weaviate", "ok": False, "error": exc.message}
        return {"engine": "weaviate", "ok": ready, "version": version}

    # -- internals ---------------------------------------------------------

    def _existing(self, name: str) -> str:
        wname = weaviate_name(name)
        if not self.has_collection(wname):
            raise NotFound(f"collection {name!r} does not exist")
        return wname

    def _collection(self, name: str) -> Any:
        """Handle for a collection or an alias (Weaviate resolves aliases server-side). Raises NotFound."""
        wname = weaviate_name(name)
        with weaviate_errors(name):
            if (
                not self._client.collections.exists(wname)
                and self._client.alias.get(alias_name=wname) is None
            ):
                raise NotFound(f"collection {name!r} does not exist")
            return self._client.collections.use(wname)

    def _dim(self, handle: Any) -> int | None:
        """The collection's vector length, kept in its description at creation (None if unknown)."""
        name = str(handle.name)
        if name not in self._dims:
            with weaviate_errors(name):
                description = handle.config.get(simple=True).description or ""
            try:
                self._dims[name] = int(json.loads(description)["dim"])
            except (ValueError, TypeError, KeyError):  # not made by us: its description holds no dim
                return None
        return self._dims[name]

    @staticmethod
    def _props(c: Chunk) -> dict[str, str | None]:
        """Object properties; empty filterable fields become null so that they can be filtered on."""
        props: dict[str, str | None] = {"chunk_id": c.id, "text": c.text}
        for name in FILTERABLE_FIELDS:
            props[name] = getattr(c, name) or None
        props["extra"] = json.dumps(c.extra, ensure_ascii=False, default=str)
        return props

    @staticmethod
    def _hit(obj: Any, mode: str) -> SearchHit:
        p = obj.properties
        chunk = Chunk(
            id=p.get("chunk_id") or "",
            doc_id=p.get("doc_id") or "",
            text=p.get("text") or "",
            source=p.get("source") or "",
            title=p.get("title") or "",
            section=p.get("section") or "",
            owner=p.get("owner") or "",
            chat_id=p.get("chat_id") or "",
            kind=p.get("kind") or "",
            extra=json.loads(p["extra"]) if p.get("extra") else {},
        )
        meta = obj.metadata
        distance = None if meta is None or meta.distance is None else float(meta.distance)
        if mode == "dense":
            score = 1.0 - (distance or 0.0)
        else:
            score = float(meta.score or 0.0) if meta is not None else 0.0
        return SearchHit(chunk=chunk, score=score, distance=distance)
