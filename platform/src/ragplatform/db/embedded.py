"""The embedded PostgreSQL: a real PostgreSQL 16 from the ``pgserver`` wheel, in a data directory.

Any number of processes (API server, CLI, notebooks, console) can call
:func:`start_embedded_postgres` on the same directory at once: the first one
starts the server, the others attach to it. The server listens on a unix
socket only (in the data directory, or in a short runtime directory when that
path is too long for a socket, which ``pgserver`` decides).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import subprocess
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import psutil
import psycopg
from filelock import FileLock, Timeout

from ragplatform.errors import BackendUnavailable

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

_log = logging.getLogger(__name__)

_PROCESS_LOCK = threading.Lock()  # pgserver's own registry is not thread-safe
_LOCK_TIMEOUT_S = 120.0
_USER = "postgres"
_DATABASE = "postgres"

DEFAULT_PGDATA = Path(".data/pg")
"""Where ``make run`` keeps the embedded server's data, relative to the project root."""


def _import_pgserver() -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers); its fallback is fine.
        warnings.simplefilter("ignore")
        import pgserver.postgres_server as pgs
    return pgs


def _file_lock(pgdata: Path) -> FileLock:
    # Outside the data directory: initdb wants it empty.
    return FileLock(str(pgdata.parent / f".{pgdata.name}.start.lock"), timeout=_LOCK_TIMEOUT_S)


def _is_postmaster_of(pid: int, pgdata: Path) -> bool:
    """Whether ``pid`` is a live postgres server for ``pgdata`` (not a reused pid)."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        if "postgres" not in proc.name():
            return False
        if str(pgdata) in proc.cmdline():
            return True
        return Path(proc.cwd()).resolve() == pgdata
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # cannot tell: never delete the lock file of what may be a live server


def _read_lines(path: Path) -> list[str] | None:
    try:
        return path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return None


def _first_pid(lines: list[str]) -> int | None:
    first = lines[0].strip() if lines else ""
    return int(first) if first.isdigit() else None


def _clear_stale_pidfile(pgdata: Path, socket_dir: Path | None = None) -> None:
    """Remove what a crashed server left behind, unless a live server for ``pgdata`` owns it: its
    ``postmaster.pid``, and the socket lock files (``.s.PGSQL.<port>.lock``) with their sockets.

    PostgreSQL ignores such files only when the pid they name is dead; in containers the pid is
    often reused after a restart (by any process, even one of the server's own user), and the
    server then refuses to start ("lock file ... already exists"). ``pgserver`` also trusts any
    live pid. The lock files are looked for where the crashed server put its socket (line 5 of
    its ``postmaster.pid``), in ``pgdata``, and in ``socket_dir`` (where the next start will put
    it); one in a shared directory is only touched when it names ``pgdata`` as its data directory.
    """
    pidfile = pgdata / "postmaster.pid"
    lines = _read_lines(pidfile)
    dirs = {pgdata} | ({socket_dir} if socket_dir is not None else set())
    if lines is not None:
        pid = _first_pid(lines)
        if pid is not None and _is_postmaster_of(pid, pgdata):
            return
        _log.warning("removing stale %s (pid %s is not a running server for it)", pidfile, pid or "?")
        pidfile.unlink(missing_ok=True)
        if len(lines) > 4 and lines[4].strip():
            dirs.add(Path(lines[4].strip()))
    for directory in dirs:
        _clear_stale_socket_locks(directory, pgdata)


def _clear_stale_socket_locks(directory: Path, pgdata: Path) -> None:
    try:
        locks = sorted(directory.glob(".s.PGSQL.*.lock"))
    except OSError:
        return
    for lock in locks:
        lines = _read_lines(lock)
        if lines is None:
            continue
        owner = Path(lines[1].strip()) if len(lines) > 1 and lines[1].strip() else None
        if directory != pgdata and (owner is None or owner.resolve() != pgdata):
            continue  # another server's socket in a shared directory
        pid = _first_pid(lines)
        if pid is not None and _is_postmaster_of(pid, pgdata):
            continue
        _log.warning("removing stale %s (pid %s is not a running server for %s)", lock, pid or "?", pgdata)
        lock.unlink(missing_ok=True)
        (directory / lock.name.removesuffix(".lock")).unlink(missing_ok=True)


def _next_socket_dir(pgs: Any, pgdata: Path) -> Path | None:
    """Where pgserver will put the socket of a server started on ``pgdata`` (``pgdata`` itself
    unless that path is too long for a socket)."""
    if not (pgdata / "PG_VERSION").exists():
        return None  # not initialised: nothing can be stale yet
    return Path(pgs.find_suitable_socket_dir(pgdata, pgs.PostgresServer.runtime_path))


def _prune_dead_handles(pgdata: Path) -> None:
    """Drop pids of exited processes from pgserver's handle list, so the last live user can stop the server."""
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (FileNotFoundError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _uri(socket_dir: Path) -> str:
    return f"postgresql://{_USER}@/{_DATABASE}?host={quote(str(socket_dir), safe='/')}"


def _check_connect(uri: str) -> None:
    with psycopg.connect(uri, connect_timeout=10) as conn:
        conn.execute("SELECT 1")


def start_embedded_postgres(pgdata: Path = DEFAULT_PGDATA, keep_running: bool = True) -> str:
    """Start (or attach to) the embedded PostgreSQL in ``pgdata`` and return its conninfo URI.

    ``pgdata`` is created if missing (with its parents). With ``keep_running``
    the server outlives this process, so the next start is instant; without
    it, the last process using the server stops it at exit. Safe to call from
    several processes and threads at once. Raises ``BackendUnavailable`` when
    the server cannot be started (the message carries the server log's tail).
    """
    pgdata = Path(pgdata).expanduser().resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    pgs = _import_pgserver()
    try:
        with _PROCESS_LOCK, _file_lock(pgdata):
            if pgdata.exists():
                _clear_stale_pidfile(pgdata, _next_socket_dir(pgs, pgdata))
                _prune_dead_handles(pgdata)
            server: PostgresServer | None = pgs.PostgresServer._instances.get(pgdata)
            pid = server.get_pid() if server is not None else None
            if server is not None and (pid is None or not _is_postmaster_of(pid, pgdata)):
                _forget(pgs, pgdata)  # stopped behind our back: start afresh
                server = None
            if server is None:
                server = pgs.get_server(pgdata, cleanup_mode=None if keep_running else "stop")
            info = server.get_postmaster_info()
            uri = _uri(info.socket_dir) if info.socket_dir is not None else server.get_uri()
            _check_connect(uri)
            return uri
    except Timeout as exc:
        raise BackendUnavailable(f"another process holds the start lock of {pgdata} for too long") from exc
    except (subprocess.SubprocessError, OSError, RuntimeError, AssertionError, psycopg.Error) as exc:
        raise BackendUnavailable(
            f"cannot start embedded PostgreSQL in {pgdata}: {exc}{_log_tail(pgdata)}"
        ) from exc


def _log_tail(pgdata: Path, lines: int = 20) -> str:
    hint = ""
    if os.name == "posix" and os.geteuid() == 0:
        closed = [p for p in pgdata.parents if p.exists() and not p.stat().st_mode & 0o001]
        if closed:
            # as root, pgserver runs the server as the "pgserver" user, who must traverse every parent
            hint = (
                f"\nparent directories closed to the 'pgserver' user (need o+x): {[str(p) for p in closed]}"
            )
    try:
        tail = (pgdata / "log").read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return hint
    return hint + ("\nserver log:\n" + "\n".join(tail) if tail else "")


def _forget(pgs: Any, pgdata: Path) -> None:
    server = pgs.PostgresServer._instances.pop(pgdata, None)
    if server is not None:
        atexit.unregister(server._cleanup)


def stop_embedded_postgres(pgdata: Path) -> None:
    """Stop the embedded server in ``pgdata`` (for every process using it); a no-op when it is not running.

    Raises ``BackendUnavailable`` when the server does not stop.
    """
    pgdata = Path(pgdata).expanduser().resolve()
    if not pgdata.exists():
        return
    pgs = _import_pgserver()
    try:
        with _PROCESS_LOCK, _file_lock(pgdata):
            _forget(pgs, pgdata)
            (pgdata / ".handle_pids.json").unlink(missing_ok=True)
            pidfile = pgdata / "postmaster.pid"
            if not pidfile.exists():
                return
            _clear_stale_pidfile(pgdata)
            if not pidfile.exists():
                return
            user = "pgserver" if os.name == "posix" and os.geteuid() == 0 else None
            pgs.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)
    except Timeout as exc:
        raise BackendUnavailable(f"another process holds the start lock of {pgdata} for too long") from exc
    except (subprocess.SubprocessError, OSError) as exc:
        raise BackendUnavailable(
            f"cannot stop embedded PostgreSQL in {pgdata}: {exc}{_log_tail(pgdata)}"
        ) from exc
