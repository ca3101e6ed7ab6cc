"""``ragserve`` in a background thread of the current process, on a free localhost port: for
notebooks and demos that want the real API (its own platform, the same engines) without starting
a second process. Production runs ``ragplatform serve`` (uvicorn in the foreground) instead.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from ragplatform.errors import BackendUnavailable
from ragplatform.settings import Settings


class BackgroundServer:
    """A uvicorn server for ``ragserve.main:create_app(settings)`` in a daemon thread.

    ``start()`` returns once the app's lifespan has run (engines opened, models warm), so the
    first request is served at once; ``stop()`` shuts it down gracefully. Also a context manager.
    """

    def __init__(self, settings: Settings, host: str = "127.0.0.1", port: int = 0) -> None:
        from ragserve.main import create_app

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))  # port 0: the system picks a free one, held until uvicorn takes it
        self.host = host
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            create_app(settings), log_level="warning", lifespan="on", timeout_graceful_shutdown=5
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="ragserve", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 180.0) -> BackgroundServer:
        """Starts serving; raises BackendUnavailable when the app does not come up in ``timeout_s``."""
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive():
                raise BackendUnavailable("ragserve stopped during startup (see the log above)")
            if time.monotonic() > deadline:
                self.stop()
                raise BackendUnavailable(f"ragserve did not start within {timeout_s:.0f}s")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        """Shuts the server down (open requests finish, at most a few seconds) and frees the port."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self._socket.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_in_background(settings: Settings, host: str = "127.0.0.1", port: int = 0) -> BackgroundServer:
    """Starts ``ragserve`` for ``settings`` on ``host`` (a free port unless ``port``) and returns
    the running server; call ``stop()`` when done. Raises BackendUnavailable."""
    return BackgroundServer(settings, host, port).start()
