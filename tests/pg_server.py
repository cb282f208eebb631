"""A throwaway PostgreSQL server for the tests and benchmarks: Debian's ``postgresql``
package, ``initdb`` into a temporary folder, ``pg_ctl start`` on 127.0.0.1 at a free port,
stopped (and the folder removed) at the end.

``initdb`` refuses to run as root, so as root both run as the ``postgres`` user through
``runuser``. There is no fallback and no skip: a test that needs PostgreSQL fails with
the reason when the server cannot be started (``.ci/run`` installs the package).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

# Durability is not what a throwaway test server is for; speed is.
FAST = ("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")


class PostgresMissing(RuntimeError):
    """PostgreSQL's programs are not installed, or the server would not start."""


def _bin(program: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{program}"), reverse=True)
    if found:
        return found[0]
    on_path = shutil.which(program)
    if on_path:
        return on_path
    raise PostgresMissing(
        f"PostgreSQL's {program} is not installed (apt-get install postgresql); "
        "the tests that run on PostgreSQL cannot run without it"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PostgresServer:
    """A running server; ``url(db)`` is a DATABASE_URL for one of its databases."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            _as_postgres(
                [
                    _bin("psql"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                    "-d",
                    database,
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-qAtc",
                    sql,
                ]
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return result.stdout

    def create_database(self, template: str | None = None) -> str:
        """A new empty (or ``template``'s copy) database; returns its name."""
        name = "t_" + uuid.uuid4().hex[:12]
        clause = f" TEMPLATE {template}" if template else ""
        self.psql(f"CREATE DATABASE {name}{clause}")
        return name

    def drop_database(self, name: str) -> None:
        with contextlib.suppress(RuntimeError):
            self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        subprocess.run(
            [
                *_as_postgres([_bin("pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate"]),
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> PostgresServer:
    """Start a new server; raises PostgresMissing with the reason when it cannot."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    folder = Path(tempfile.mkdtemp(prefix="digestbot-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    setup = subprocess.run(
        _as_postgres(
            [
                initdb,
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if setup.returncode:
        shutil.rmtree(folder, ignore_errors=True)
        raise PostgresMissing(f"initdb failed: {setup.stderr.strip()[-500:]}")
    for _ in range(5):  # another process may take the free port before the server does
        port = _free_port()
        options = " ".join(
            [
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-k",
                str(folder),
                *FAST,
                "-c",
                "max_connections=300",
            ]
        )
        started = subprocess.run(
            [
                *_as_postgres([pg_ctl, "-D", str(data), "-o", options, "-w", "-t", "60"]),
                "-l",
                str(folder / "log"),
                "start",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if started.returncode == 0:
            return PostgresServer(folder, port)
    log = (folder / "log").read_text(errors="replace")[-500:] if (folder / "log").exists() else ""
    shutil.rmtree(folder, ignore_errors=True)
    raise PostgresMissing(f"PostgreSQL would not start: {started.stderr.strip()} {log}")


@contextlib.contextmanager
def running() -> Iterator[PostgresServer]:
    server = start()
    try:
        yield server
    finally:
        server.stop()
