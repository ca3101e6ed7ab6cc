"""FileStore on a local directory (the embedded default, ``.data/files``)."""

from __future__ import annotations

import errno
import logging
import os
import tempfile
from pathlib import Path, PurePosixPath

from ragplatform.errors import BackendUnavailable, InvalidInput, NotFound, map_exceptions

log = logging.getLogger(__name__)

_READ_ONLY = {errno.EACCES, errno.EPERM, errno.EROFS}
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        with map_exceptions({OSError: self._unavailable}):
            self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if (
            not key
            or key.startswith("/")
            or any(p in ("..", "") for p in parts)
            or "\\" in key
            or "\0" in key
        ):
            raise InvalidInput(
                f"unsafe file key {key!r}: use relative 'a/b/c' keys without '..'", field="key", value=key
            )
        return self.root.joinpath(*parts)

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        """Writes atomically (a temporary file renamed into place; removed on any failure).

        Raises InvalidInput (unsafe key) and BackendUnavailable when the folder is read-only,
        full or otherwise refuses the write.
        """
        path = self._path(key)
        tmp: str | None = None
        try:
            with map_exceptions({OSError: self._unavailable}):
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, path)  # readers never see a half-written file
                tmp = None
        finally:
            if tmp is not None:
                _remove_quietly(tmp)
        return key

    def get(self, key: str) -> bytes:
        """Raises NotFound, BackendUnavailable (the folder cannot be read)."""
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(f"file {key!r} not found") from None
        except OSError as exc:
            raise self._unavailable(exc) from exc

    def delete(self, key: str) -> bool:
        """Idempotent: True when something was deleted. Raises BackendUnavailable."""
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as exc:
            raise self._unavailable(exc) from exc
        return True

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _unavailable(self, exc: Exception) -> BackendUnavailable:
        """A detail an operator can act on; the OS's own words go to the log."""
        code = exc.errno if isinstance(exc, OSError) else None
        log.error("file store at %s: %s", self.root, exc)
        if code in _READ_ONLY:
            return BackendUnavailable(
                f"the file store at {self.root} is read-only; fix its permissions (or mount) and retry"
            )
        if code in _FULL:
            return BackendUnavailable(f"the file store at {self.root} is full; free space and retry")
        return BackendUnavailable(f"the file store at {self.root} cannot be used; see the server log")


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:
        log.warning("could not remove the temporary file %s", path, exc_info=True)
