"""The throwaway PostgreSQL server of the tests and the benchmarks (``tests/pg_server.py``):
a missing PostgreSQL fails the tests that need it (never skips them), and a server left
running by a killed run is stopped by the next one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from digests.dburl import PostgresUrl
from digests.store import Store
from tests import pg_server

ROOT = Path(__file__).resolve().parents[2]


def test_without_postgresql_start_says_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGESTBOT_PG_BIN", str(tmp_path / "nowhere"))
    with pytest.raises(pg_server.PostgresMissing, match="initdb is not installed"):
        pg_server.start()


async def test_a_store_opens_on_the_test_server(postgres_url: PostgresUrl) -> None:
    store = await Store.open(postgres_url)
    try:
        assert store.dialect.postgres
        assert await store.schema_version() > 0
    finally:
        await store.close()


def test_a_postgresql_test_fails_rather_than_skips_without_postgresql(tmp_path: Path) -> None:
    env = {**os.environ, "DIGESTBOT_PG_BIN": str(tmp_path / "nowhere")}
    this = f"{Path(__file__).relative_to(ROOT)}::test_a_store_opens_on_the_test_server"
    run = subprocess.run(
        # -n 0: one test needs no workers of its own (the suite's addopts start them).
        [
            sys.executable,
            "-m",
            "pytest",
            this,
            "-p",
            "no:cacheprovider",
            "--no-cov",
            "-n",
            "0",
            "-rA",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0, run.stdout
    assert "1 error" in run.stdout and "skipped" not in run.stdout
    assert "initdb is not installed" in run.stdout


def test_folders_of_processes_that_are_gone_are_removed_and_others_kept(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = tmp_path / f"{pg_server.PREFIX}{gone.pid}-abc"
    live = tmp_path / f"{pg_server.PREFIX}{os.getpid()}-def"
    unnamed = tmp_path / f"{pg_server.PREFIX}ghi"  # not ours to judge: left alone
    for folder in (dead, live, unnamed):
        (folder / "data").mkdir(parents=True)
    assert pg_server.clean_stale(tmp_path) == [dead]
    assert not dead.exists() and live.exists() and unnamed.exists()


def test_a_server_left_by_a_killed_run_is_stopped_by_the_next_start() -> None:
    starter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from tests import pg_server; s = pg_server.start(); "
            "print(s.folder, flush=True); sys.stdin.read()",
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert starter.stdout is not None
    folder = Path(starter.stdout.readline().strip())
    postmaster = int((folder / "data" / "postmaster.pid").read_text().split()[0])
    starter.kill()  # as kill -9 would: its server keeps running
    starter.wait()
    assert pg_server._alive(postmaster)
    server = pg_server.start()
    try:
        assert not folder.exists()
        assert not _running(postmaster)
    finally:
        server.stop()


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not exited (a zombie has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
