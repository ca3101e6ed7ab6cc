"""The offline path never opens a network connection: ingest, build and ask run in a fresh
process whose sockets may reach only loopback (and unix sockets), from a cold data directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

GUARDED = textwrap.dedent(
    """
    import json, socket, sys
    attempts = []
    LOCAL = ("127.", "::1", "localhost", "0.0.0.0")

    def _is_local(address):
        if not isinstance(address, tuple):
            return True  # AF_UNIX path
        return str(address[0]).startswith(LOCAL)

    _connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self, address):
        if not _is_local(address):
            attempts.append(repr(address))
            raise OSError(f"blocked non-loopback connection to {address!r}")
        return _connect(self, address)

    def connect_ex(self, address):
        if not _is_local(address):
            attempts.append(repr(address))
            return 111
        return _connect_ex(self, address)

    _getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not str(host).startswith(LOCAL) and host not in ("", b""):
            attempts.append(f"resolve {host}")
            raise socket.gaierror(f"blocked name resolution of {host}")
        return _getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo

    from ragplatform.cli import app
    for argv in json.loads(sys.argv[1]):
        try:
            app(argv, standalone_mode=False)
        except SystemExit as exc:
            if exc.code:
                raise
    print("ATTEMPTS=" + json.dumps(attempts))
    """
)


@pytest.mark.slow
def test_ingest_build_and_ask_never_touch_the_network(tmp_path: Path) -> None:
    data = Path(tempfile.mkdtemp(prefix="ragplatform-offline-"))  # not under pytest's 0700 tmp (pgserver)
    doc = tmp_path / "notes.md"
    doc.write_text("# Lab notes\n\nThe centrifuge in room 4 must be balanced before every run.\n")
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_URL", "_URI"))}
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "TIKTOKEN_CACHE_DIR"):
        env.pop(key, None)  # the platform must set what it needs itself
    env |= {
        "DATA_DIR": str(data),
        "DATASETS_DIR": str(REPO / "datasets"),
        "LLM__PROVIDERS": "local,extractive",
        "LLM__MAX_TOKENS": "24",
    }
    steps = [
        ["up"],
        ["ingest", str(doc), "--owner", "offline-user"],
        ["build", "--name", "offline-rebuild", "--chunk-size", "200"],
        ["ask", "Who was the inventor of the atmospheric engine?", "--json"],
        ["ask", "What must be balanced before every run?", "--owner", "offline-user", "--json"],
    ]
    proc = subprocess.run(
        [sys.executable, "-c", GUARDED, json.dumps(steps)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    attempts = json.loads(proc.stdout.rsplit("ATTEMPTS=", 1)[1])
    assert attempts == [], f"network access attempted: {attempts}"
    assert "steam-engine" in proc.stdout, "the demo answer cites the steam engine article"
    assert "notes.md" in proc.stdout, "the owner's uploaded document is cited"
    from ragplatform.db.embedded import stop_embedded_postgres

    stop_embedded_postgres(data / "pg")
    shutil.rmtree(data, ignore_errors=True)
