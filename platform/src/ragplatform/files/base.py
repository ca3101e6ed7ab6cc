"""FileStore: bytes of uploaded files, by key."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class FileStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        """Stores ``data`` under ``key`` atomically; returns the key. Raises InvalidInput for an unsafe
        key and BackendUnavailable when the store refuses the write (read-only, full): nothing
        half-written is left behind."""
        ...

    def get(self, key: str) -> bytes:
        """Raises NotFound, BackendUnavailable."""
        ...

    def delete(self, key: str) -> bool:
        """Idempotent: True when something was deleted."""
        ...

    def exists(self, key: str) -> bool: ...
