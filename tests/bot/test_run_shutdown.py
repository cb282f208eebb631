"""Stopping ``digestbot run`` while a scheduled tick is running (red-team finding 9: a
Ctrl-C right after start logged APScheduler's 'Job … raised an exception' with a
CancelledError traceback): the tick finishes within the grace period, or is cancelled
after it, and either way nothing is logged as an error."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

import pytest

from bot import run as run_module
from bot.run import Runner
from bot.wiring import open_app
from digests.settings import Settings


async def stop_during_a_tick(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, tick_seconds: float
) -> tuple[list[str], str]:
    """Run in process, stop while the dispatch tick is under way; return what the tick
    did and what was printed."""
    events: list[str] = []
    started = asyncio.Event()

    async def slow_dispatch() -> None:
        events.append("started")
        started.set()
        await asyncio.sleep(tick_seconds)
        events.append("finished")

    out = io.StringIO()
    caplog.set_level(logging.INFO)
    async with open_app(Settings(database_path=tmp_path / "bot.db")) as app:
        runner = Runner(app, out)
        runner.dispatch = slow_dispatch  # type: ignore[method-assign]
        task = asyncio.create_task(runner.run())
        await asyncio.wait_for(started.wait(), 10)
        runner.stop.set()
        assert await asyncio.wait_for(task, 10) == 0
    return events, out.getvalue()


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING or r.exc_info or "raised an exception" in r.getMessage()
    ]


async def test_a_tick_under_way_finishes_within_the_grace_period(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    events, out = await stop_during_a_tick(tmp_path, caplog, tick_seconds=0.3)
    assert events == ["started", "finished"]
    assert errors(caplog) == []
    assert out.rstrip().endswith("stopped")


async def test_a_tick_past_the_grace_period_is_cancelled_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_module, "SHUTDOWN_GRACE_S", 0.2)
    events, out = await stop_during_a_tick(tmp_path, caplog, tick_seconds=60)
    assert events == ["started"]
    assert errors(caplog) == []
    assert out.rstrip().endswith("stopped")
