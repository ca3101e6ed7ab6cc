"""The embedded PostgreSQL shared by several processes, and migrations run concurrently."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import psycopg
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from ragplatform.db.embedded import start_embedded_postgres, stop_embedded_postgres
from ragplatform.db.migrate import alembic_config, sqlalchemy_url, upgrade
from ragplatform.errors import InvalidInput

PLATFORM_TABLES = {
    "faq_item",
    "emergency_contact",
    "event",
    "document",
    "app_user",
    "chat_session",
    "chat_message",
    "query_log",
    "build_job",
}


def run_python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return out.strip()


ATTACH_AND_QUERY = """
    import sys
    from pathlib import Path
    import psycopg
    from ragplatform.db.embedded import start_embedded_postgres
    url = start_embedded_postgres(Path(sys.argv[1]), keep_running=False)
    with psycopg.connect(url) as conn:
        note = conn.execute("SELECT note FROM shared_note").fetchone()[0]
        conn.execute("INSERT INTO shared_note VALUES ('from child')")
    print(url)
    print(note)
"""


def test_second_process_attaches_to_the_running_server(pg_dir: Path, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS shared_note")
        conn.execute("CREATE TABLE shared_note (note text)")
        conn.execute("INSERT INTO shared_note VALUES ('from parent')")
        child = finish(run_python(ATTACH_AND_QUERY, str(pg_dir)))
        # the child exited (keep_running=False) while we still use the server: it must still serve us
        notes = conn.execute("SELECT note FROM shared_note ORDER BY note").fetchall()
    assert child.splitlines() == [pg_url, "from parent"]
    assert notes == [("from child",), ("from parent",)]
    assert start_embedded_postgres(pg_dir) == pg_url


@pytest.fixture
def fresh_dir(pg_tmp: Callable[[], Path]) -> Iterator[Path]:
    pgdata = pg_tmp() / "pg"
    yield pgdata
    stop_embedded_postgres(pgdata)


START_AND_PRINT = """
    import sys
    from pathlib import Path
    import psycopg
    from ragplatform.db.embedded import start_embedded_postgres
    url = start_embedded_postgres(Path(sys.argv[1]))
    with psycopg.connect(url) as conn:
        conn.execute("SELECT 1")
    print(url)
"""


@pytest.mark.slow
def test_concurrent_first_starts_share_one_server(fresh_dir: Path) -> None:
    procs = [run_python(START_AND_PRINT, str(fresh_dir)) for _ in range(2)]
    urls = {finish(p) for p in procs}
    assert len(urls) == 1
    # keep_running=True: the server outlived both processes
    with psycopg.connect(urls.pop()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.slow
def test_stale_pidfile_from_a_crash_is_cleared(fresh_dir: Path) -> None:
    url = start_embedded_postgres(fresh_dir)
    stop_embedded_postgres(fresh_dir)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)
    # a crash left postmaster.pid behind, and its pid now belongs to an unrelated live process (ours)
    (fresh_dir / "postmaster.pid").write_text(
        f"{os.getpid()}\n{fresh_dir}\n1700000000\n5432\n{fresh_dir}\n\n1 2\nready\n"
    )
    assert start_embedded_postgres(fresh_dir) == url
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def _kill_server(pgdata: Path) -> None:
    """SIGKILL the postmaster, as a crash or an OOM kill would, and wait for its children to go."""
    pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        left = [p for p in psutil.process_iter(["name", "cwd"]) if p.info["cwd"] == str(pgdata)]
        if not left:
            return
        time.sleep(0.2)
    raise AssertionError(f"the killed server's processes did not exit: {left}")


def _sleep_as_server_user() -> subprocess.Popen[bytes]:
    """A live process of the user the server runs as (``pgserver`` when we are root): PostgreSQL
    takes a lock file naming such a pid for a live postmaster, where another user's pid is ignored."""
    if os.geteuid() == 0:
        user = pwd.getpwnam("pgserver")
        return subprocess.Popen(["sleep", "300"], user=user.pw_uid, group=user.pw_gid)
    return subprocess.Popen(["sleep", "300"])


@pytest.mark.slow
def test_stale_pid_files_naming_a_live_unrelated_process_are_cleared(fresh_dir: Path) -> None:
    url = start_embedded_postgres(fresh_dir)
    _kill_server(fresh_dir)
    lock = fresh_dir / ".s.PGSQL.5432.lock"
    assert (fresh_dir / "postmaster.pid").exists() and lock.exists(), "a crash leaves both behind"
    sleeper = _sleep_as_server_user()
    try:
        # the pid the crashed server held now belongs to an unrelated, live process
        for path in (fresh_dir / "postmaster.pid", lock):
            lines = path.read_text().splitlines()
            path.write_text("\n".join([str(sleeper.pid), *lines[1:]]) + "\n")
        assert start_embedded_postgres(fresh_dir) == url
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert sleeper.poll() is None, "the unrelated process is left alone"
        # and the running server's own files are never taken for stale ones
        assert start_embedded_postgres(fresh_dir) == url
        assert int((fresh_dir / "postmaster.pid").read_text().split()[0]) != sleeper.pid
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.slow
def test_a_socket_lock_left_without_a_pid_file_is_cleared(fresh_dir: Path) -> None:
    """The state an older ``up`` left: postmaster.pid removed, the socket lock file kept."""
    url = start_embedded_postgres(fresh_dir)
    _kill_server(fresh_dir)
    (fresh_dir / "postmaster.pid").unlink()
    sleeper = _sleep_as_server_user()
    try:
        lock = fresh_dir / ".s.PGSQL.5432.lock"
        lines = lock.read_text().splitlines()
        lock.write_text("\n".join([str(sleeper.pid), *lines[1:]]) + "\n")
        assert start_embedded_postgres(fresh_dir) == url
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.slow
def test_data_dir_too_long_for_a_unix_socket(pg_tmp: Callable[[], Path]) -> None:
    pgdata = pg_tmp() / ("d" * 60) / ("e" * 60) / "pg"
    assert len(str(pgdata / ".s.PGSQL.5432")) > 108
    try:
        url = start_embedded_postgres(pgdata)
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        stop_embedded_postgres(pgdata)


def _new_database(pg_url: str, name: str) -> str:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return pg_url.replace("/postgres?", f"/{name}?")


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        return {r[0] for r in rows}


def test_concurrent_migrations_are_safe_and_idempotent(pg_url: str) -> None:
    url = _new_database(pg_url, "migrate_twice")
    errors: list[BaseException] = []

    def migrate() -> None:
        try:
            upgrade(url)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=migrate) for _ in range(2)]
    for t in threads:
        t.start()
    child = run_python("import sys; from ragplatform.db.migrate import upgrade; upgrade(sys.argv[1])", url)
    for t in threads:
        t.join(60)
    finish(child)
    assert errors == []
    upgrade(url)  # once more: nothing to do
    assert _tables(url) >= PLATFORM_TABLES
    with psycopg.connect(url) as conn:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]


def test_upgrade_works_from_any_working_directory(pg_url: str, tmp_path: Path) -> None:
    url = _new_database(pg_url, "migrate_elsewhere")
    finish(
        subprocess.Popen(
            [sys.executable, "-c", f"from ragplatform.db.migrate import upgrade; upgrade({url!r})"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    assert _tables(url) >= PLATFORM_TABLES


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://postgres@/postgres?host=/tmp/my%20pg",
            "postgresql+psycopg://postgres@/postgres?host=%2Ftmp%2Fmy+pg",
        ),
        ("postgresql://u:p@db.example:5433/app", "postgresql+psycopg://u:p@db.example:5433/app"),
        (
            "host=db port=5432 user=u dbname=app sslmode=require",
            "postgresql+psycopg://u@db:5432/app?sslmode=require",
        ),
        ("postgresql+psycopg2://u@db/app", "postgresql+psycopg://u@db/app"),
    ],
)
def test_sqlalchemy_url_from_conninfo(url: str, expected: str) -> None:
    assert sqlalchemy_url(url).render_as_string(hide_password=False) == expected


def test_sqlalchemy_url_connects_over_the_unix_socket(pg_url: str) -> None:
    engine = sa.create_engine(sqlalchemy_url(pg_url), poolclass=sa.NullPool)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.current_user())).scalar() == "postgres"
    engine.dispose()


def test_malformed_url_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="invalid database URL"):
        sqlalchemy_url("host='unterminated")
