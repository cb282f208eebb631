"""A throwaway PostgreSQL server for the tests and benchmarks: Debian's ``postgresql``
package, ``initdb`` into a temporary folder, ``pg_ctl start`` on 127.0.0.1 at a free port,
stopped (and the folder removed) at the end.

``initdb`` refuses to run as root, so as root both run as the ``postgres`` user through
``runuser``. There is no fallback and no skip: a test that needs PostgreSQL fails with
the reason when the server cannot be started (``.ci/run`` installs the package).

A run killed before it could stop its server leaves the server running and its folder
behind. Each folder's name carries the id of the process that started it, so the next
``start()`` stops and removes the servers of processes that are gone (and leaves the
servers of runs still going alone).

``DIGESTBOT_PG_BIN`` names the folder of PostgreSQL's programs instead of Debian's
``/usr/lib/postgresql/*/bin`` and the ``PATH`` (a test points it nowhere to check that a
missing PostgreSQL fails the tests that need it).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import asyncpg

PREFIX = "digestbot-pg-"
# Durability is not what a throwaway test server is for; speed is.
FAST = ("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
# Three `digestbot run` processes, the benchmarks and the tests' own stores at once.
SETTINGS = (*FAST, "-c", "max_connections=300")


class PostgresMissing(RuntimeError):
    """PostgreSQL's programs are not installed, or the server would not start."""


def _bin(program: str) -> str:
    chosen = os.environ.get("DIGESTBOT_PG_BIN")
    if chosen is not None:
        found = [str(Path(chosen) / program)] if (Path(chosen) / program).is_file() else []
    else:
        found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{program}"), reverse=True)
        on_path = shutil.which(program)
        found += [on_path] if on_path else []
    if found:
        return found[0]
    raise PostgresMissing(
        f"PostgreSQL's {program} is not installed (apt-get install postgresql); "
        "the tests that run on PostgreSQL cannot run without it"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(command: list[str]) -> list[str]:
    """``command`` as the ``postgres`` user when running as root (initdb and the server
    refuse root), as is otherwise."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    # In the server's folder: the postgres user may not be allowed into the caller's.
    return subprocess.run(
        _as_postgres(command), cwd=folder, capture_output=True, text=True, check=False
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's, and running
        return True
    return True


def _stop(folder: Path) -> None:
    if (folder / "data" / "postmaster.pid").exists():
        _run([_bin("pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "stop"], folder)
    shutil.rmtree(folder, ignore_errors=True)


def clean_stale(base: Path | None = None) -> list[Path]:
    """Stop and remove the servers whose starting process is gone; return their folders."""
    base = base or Path(tempfile.gettempdir())
    stale = []
    for folder in base.glob(f"{PREFIX}*"):
        owner = re.match(rf"{PREFIX}(\d+)-", folder.name)
        if owner is None or not folder.is_dir() or _alive(int(owner.group(1))):
            continue
        with contextlib.suppress(OSError, PostgresMissing):
            _stop(folder)
            stale.append(folder)
    return stale


class _Admin:
    """One connection to the server's ``postgres`` database, on an event loop in a thread
    of its own. Each PostgreSQL test creates and drops a database: a ``runuser`` and
    ``psql`` process for each cost more than the copy itself, and the fixtures that ask
    run inside a test's event loop, where they cannot await."""

    def __init__(self, dsn: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._lock = asyncio.Lock()
        self._connection: asyncpg.Connection = self.wait(asyncpg.connect(dsn))

    def wait(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return self.submit(coroutine).result(timeout=120)

    def submit(self, coroutine: Coroutine[Any, Any, Any]) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    async def execute(self, sql: str) -> None:
        async with self._lock:  # one connection: one statement at a time
            await self._connection.execute(sql)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.wait(self._connection.close(timeout=5))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


class PostgresServer:
    """A running server; ``url(db)`` is a DATABASE_URL for one of its databases."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self._admin: _Admin | None = None

    def _admin_connection(self) -> _Admin:
        if self._admin is None:
            self._admin = _Admin(self.url())
        return self._admin

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        where = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database]
        result = _run([_bin("psql"), *where, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], self.folder)
        if result.returncode:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return result.stdout

    def create_database(self, template: str | None = None) -> str:
        """A new empty (or ``template``'s copy) database; returns its name."""
        name = "t_" + uuid.uuid4().hex[:12]
        clause = f" TEMPLATE {template}" if template else ""
        admin = self._admin_connection()
        admin.wait(admin.execute(f"CREATE DATABASE {name}{clause}"))
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name`` in the background: nothing waits for a test's leftovers to go (the
        next statement on the admin connection runs after it)."""
        admin = self._admin_connection()
        admin.submit(admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        _stop(self.folder)


def start() -> PostgresServer:
    """Start a new server; raises PostgresMissing with the reason when it cannot."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    clean_stale()
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    initdb_options = ["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"]
    setup = _run([initdb, "-D", str(data), *initdb_options, "--no-sync"], folder)
    if setup.returncode:
        shutil.rmtree(folder, ignore_errors=True)
        raise PostgresMissing(f"initdb failed: {setup.stderr.strip()[-500:]}")
    reason = ""
    for _ in range(5):  # another process may take the free port before the server does
        port = _free_port()
        options = " ".join(["-h", "127.0.0.1", "-p", str(port), "-k", str(folder), *SETTINGS])
        log = folder / "log"
        started = _run(
            [pg_ctl, "-D", str(data), "-o", options, "-w", "-t", "60", "-l", str(log), "start"],
            folder,
        )
        if started.returncode == 0:
            return PostgresServer(folder, port)
        reason = (
            started.stderr.strip() + " " + (log.read_text(errors="replace") if log.exists() else "")
        )
    _stop(folder)
    raise PostgresMissing(f"PostgreSQL would not start: {reason.strip()[-500:]}")


@contextlib.contextmanager
def running() -> Iterator[PostgresServer]:
    server = start()
    try:
        yield server
    finally:
        server.stop()
