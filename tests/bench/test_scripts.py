"""The benchmarks are modules of the ``bench`` package, run as ``python -m bench.NAME`` from
the project root: they import the project, ``tests.fakes`` and ``bench.common`` as packages,
and none of them edits ``sys.path`` to get there."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.common import ENGINES, add_categories, database, insert_subscribers, run_env
from digests.dburl import PostgresUrl
from digests.store import Store, StoreError

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(p.stem for p in BENCH.glob("*.py") if p.stem not in {"__init__", "common"})


def test_there_are_benchmarks() -> None:
    assert {"assembly", "ingest", "fanout", "crash_safety"} <= set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_benchmark_imports_as_a_module_without_editing_sys_path(name: str) -> None:
    source = (BENCH / f"{name}.py").read_text()
    assert "sys.path" not in source
    assert f"python -m bench.{name}" in source  # its usage line says how to run it
    module = importlib.import_module(f"bench.{name}")
    assert module.__doc__


@pytest.mark.parametrize("engine", ENGINES)
async def test_subscribers_inserted_in_bulk_are_read_back_by_the_store(
    tmp_path: Path, engine: str, request: pytest.FixtureRequest
) -> None:
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    where = request.getfixturevalue("postgres_url") if engine == "postgresql" else None
    store = await Store.open(where or tmp_path / "bench.db")
    try:
        await add_categories(store, ["climate", "markets"])
        rows = [{"id": i, "platform": "telegram", "chat_id": str(100 + i)} for i in (1, 2)]
        await insert_subscribers(store, rows, now=now, subscriptions=[(2, "markets")])
        first, second = await store.list_subscribers()
        assert (first.chat_id, first.categories) == ("101", ())
        assert (second.chat_id, second.categories) == ("102", ("markets",))
        # A reader signing up afterwards gets a new id (PostgreSQL's sequence moved on).
        later = await store.upsert_subscriber("telegram", "999", now=now)
        assert later.id == 3
    finally:
        await store.close()


async def test_a_benchmark_database_is_a_sqlite_file_or_a_throwaway_postgresql_one() -> None:
    with database("sqlite", "test") as target:
        assert isinstance(target, Path) and target.name == "bench.db"
    with database("postgresql", "test") as url:
        assert isinstance(url, PostgresUrl)
        store = await Store.open(url)
        assert await store.schema_version() > 0
        await store.close()
    with pytest.raises(StoreError, match="cannot reach PostgreSQL"):
        await Store.open(url)  # the server stopped with the run


def test_a_run_environment_keeps_no_token_of_the_callers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "a-real-token")
    env = run_env(tmp_path / "b.db", TELEGRAM_BOT_TOKEN="fake")
    assert "DISCORD_BOT_TOKEN" not in env and env["TELEGRAM_BOT_TOKEN"] == "fake"
    assert env["DATABASE_URL"] == f"sqlite:///{tmp_path / 'b.db'}"
