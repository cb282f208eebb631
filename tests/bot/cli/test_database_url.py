"""A DATABASE_URL that cannot be used stops ``digestbot init``, ``stats`` and ``run`` at
start with one line and exit status 2, and never shows its password: a wrong scheme, a
server nobody answers at, a wrong password or user, a database that does not exist, a
schema newer than the code."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.cli import main
from digests.dburl import PostgresUrl
from tests import pg_server

PASSWORD = "Pa55-w0rd-never-printed"


@pytest.fixture(scope="module")
def password_server() -> Iterator[pg_server.PostgresServer]:
    """A throwaway server of its own that checks passwords (the shared one trusts every
    log-in): role ``bot`` with PASSWORD owns database ``news``."""
    server = pg_server.start()
    try:
        server.psql(f"CREATE ROLE bot LOGIN PASSWORD '{PASSWORD}'")
        server.psql("CREATE DATABASE news OWNER bot")
        hba = server.folder / "data" / "pg_hba.conf"
        hba.write_text("local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n")
        server.psql("SELECT pg_reload_conf()")  # over the socket: still trusted
        yield server
    finally:
        server.stop()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_name(url: PostgresUrl) -> str:
    return urlsplit(url.dsn).path.lstrip("/")


def newer_postgres(server: pg_server.PostgresServer, url: PostgresUrl) -> str:
    server.psql("UPDATE schema_version SET version = 99", database_name(url))
    return url.dsn.replace("postgres@", f"postgres:{PASSWORD}@", 1)


def newer_sqlite(folder: Path) -> str:
    with sqlite3.connect(folder / "newer.db") as db:
        db.execute("PRAGMA user_version = 99")
    return f"sqlite:///{folder / 'newer.db'}"


CASES = ["scheme", "unreachable", "password", "user", "database", "newer-pg", "newer-sqlite"]
EXPECTED = {
    "scheme": "DATABASE_URL must be sqlite:///",
    "unreachable": "cannot reach PostgreSQL at postgresql://bot:***@127.0.0.1:",
    "password": "cannot log in to postgresql://bot:***@127.0.0.1:",
    "user": "cannot log in to postgresql://nobody:***@127.0.0.1:",
    "database": "/absent: no such database",
    "newer-pg": "database schema version 99 is newer than this digestbot",
    "newer-sqlite": "database schema version 99 is newer than this digestbot",
}


@pytest.fixture
def bad_url(request: pytest.FixtureRequest, clean_cwd: Path) -> tuple[str, str]:
    """(DATABASE_URL, what its error line says) for the case named by the parameter."""
    case = request.param
    if case == "scheme":
        return f"mysql://bot:{PASSWORD}@db/news", EXPECTED[case]
    if case == "unreachable":
        return f"postgresql://bot:{PASSWORD}@127.0.0.1:{closed_port()}/news", EXPECTED[case]
    if case == "newer-sqlite":
        return newer_sqlite(clean_cwd), EXPECTED[case]
    if case == "newer-pg":
        server = request.getfixturevalue("postgres_server")
        return newer_postgres(server, request.getfixturevalue("postgres_url")), EXPECTED[case]
    server = request.getfixturevalue("password_server")
    user, password, database = {
        "password": ("bot", "not-" + PASSWORD, "news"),
        "user": ("nobody", PASSWORD, "news"),
        "database": ("bot", PASSWORD, "absent"),
    }[case]
    return f"postgresql://{user}:{password}@127.0.0.1:{server.port}/{database}", EXPECTED[case]


def one_error_line(status: int, out: str, err: str, expected: str) -> None:
    assert status == 2, err
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("digestbot: error: "), err
    assert expected in err, err
    assert PASSWORD not in err


@pytest.mark.parametrize("bad_url", CASES, indirect=True)
@pytest.mark.parametrize("command", ["init", "stats"])
def test_init_and_stats_stop_with_one_line(
    bad_url: tuple[str, str],
    command: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, expected = bad_url
    monkeypatch.setenv("DATABASE_URL", url)
    status = main([command])
    captured = capsys.readouterr()
    one_error_line(status, captured.out, captured.err, expected)


@pytest.mark.parametrize("bad_url", ["unreachable", "password", "newer-pg"], indirect=True)
def test_run_stops_with_one_line(bad_url: tuple[str, str], clean_cwd: Path) -> None:
    url, expected = bad_url
    exe = shutil.which("digestbot", path=str(Path(sys.executable).parent))
    assert exe
    env = {**os.environ, "DATABASE_URL": url, "FEEDS_FILE": str(clean_cwd / "none.toml")}
    try:
        done = subprocess.run(
            [exe, "run"], cwd=clean_cwd, env=env, capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"digestbot run started anyway: {exc.stdout!r}") from None
    one_error_line(done.returncode, done.stdout, done.stderr, expected)


def test_the_right_password_opens_the_database(
    password_server: pg_server.PostgresServer,
    clean_cwd: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The failures above are the server's answers, not a server that refuses everyone.
    monkeypatch.setenv(
        "DATABASE_URL", f"postgresql://bot:{PASSWORD}@127.0.0.1:{password_server.port}/news"
    )
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    assert "database ready: postgresql://bot:***@127.0.0.1" in out and PASSWORD not in out
