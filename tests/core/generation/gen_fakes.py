"""Real HTTP servers on 127.0.0.1 that speak each provider's streaming wire format (helpers for the tests).

Only the network boundary is replaced: the generators under test open real
sockets, send real requests and parse real chunked HTTP responses.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Part = bytes | str | Callable[[], None]
"""A body part: bytes/str are sent as one HTTP chunk; a callable runs between chunks (e.g. waits)."""


@dataclass
class Reply:
    """What the fake provider answers: status, content type, body parts; ``complete=False`` drops the
    connection without the final chunk (a stream cut off mid-body)."""

    status: int = 200
    content_type: str = "text/event-stream"
    parts: list[Part] = field(default_factory=list)
    complete: bool = True


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeProvider:
    base_url: str
    requests: list[Recorded]
    reply: Reply


def sse(data: Any, event: str | None = None) -> str:
    """One server-sent event, JSON-encoding ``data`` unless it is already a string."""
    payload = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n"


def ndjson(data: Any) -> str:
    return json.dumps(data) + "\n"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    provider: FakeProvider

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self.provider.requests.append(
            Recorded(
                "POST",
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                json.loads(raw) if raw else {},
            )
        )
        reply = self.provider.reply
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in reply.parts:
            if callable(part):
                part()
                continue
            data = part.encode() if isinstance(part, str) else part
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        if reply.complete:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        else:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that stops reading mid-stream is what some tests do on purpose."""


def start_fake_provider() -> tuple[FakeProvider, ThreadingHTTPServer]:
    """A threaded HTTP server on a free 127.0.0.1 port; set ``.reply`` on the provider before calling it."""
    provider = FakeProvider(base_url="", requests=[], reply=Reply())
    handler = type("Handler", (_Handler,), {"provider": provider})
    server = _QuietServer(("127.0.0.1", 0), handler)
    provider.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return provider, server
