"""The benchmarks are modules of the ``bench`` package, run as ``python -m bench.NAME`` from
the project root: they import the project, ``tests.fakes`` and ``bench.common`` as packages,
and none of them edits ``sys.path`` to get there."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.common import add_categories, insert_subscribers, run_env
from digests.store import Store

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


async def test_subscribers_inserted_in_bulk_are_read_back_by_the_store(tmp_path: Path) -> None:
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    store = await Store.open(tmp_path / "bench.db")
    try:
        await add_categories(store, ["climate", "markets"])
        rows = [{"id": i, "platform": "telegram", "chat_id": str(100 + i)} for i in (1, 2)]
        await insert_subscribers(store, rows, now=now, subscriptions=[(2, "markets")])
        first, second = await store.list_subscribers()
        assert (first.chat_id, first.categories) == ("101", ())
        assert (second.chat_id, second.categories) == ("102", ("markets",))
    finally:
        await store.close()


def test_a_run_environment_keeps_no_token_of_the_callers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "a-real-token")
    env = run_env(tmp_path / "b.db", TELEGRAM_BOT_TOKEN="fake")
    assert "DISCORD_BOT_TOKEN" not in env and env["TELEGRAM_BOT_TOKEN"] == "fake"
    assert env["DATABASE_URL"] == f"sqlite:///{tmp_path / 'b.db'}"
