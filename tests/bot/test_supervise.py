"""The delivery worker is supervised (issue 19, item 3): if its task ends, ``digestbot run``
logs it, starts it again with backoff, and /healthz answers 503 until it runs again. On the
old code a worker that ended stayed gone, and /healthz still said "ok"."""

from __future__ import annotations

import asyncio
import io
import logging
import socket
from pathlib import Path

import httpx
import pytest

from bot import supervise as supervise_module
from bot.run import Runner
from bot.supervise import Liveness, restart_delay, supervise
from bot.wiring import open_app
from digests.outgoing import OutgoingMessage
from digests.settings import Settings
from digests.store import OutboxItem
from tests.conftest import NOW

API_TOKEN = "api-token-for-the-supervisor-test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_worker_that_ends_is_restarted_and_healthz_says_503_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    paused, resume = asyncio.Event(), asyncio.Event()

    async def held_pause(stop: asyncio.Event, seconds: float) -> None:
        """The backoff before the restart, held until the test has looked at /healthz."""
        paused.set()
        waiters = [asyncio.ensure_future(resume.wait()), asyncio.ensure_future(stop.wait())]
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()

    monkeypatch.setattr(supervise_module, "pause_unless_stopped", held_pause)
    port = free_port()
    settings = Settings(
        database_path=tmp_path / "bot.db", api_token=API_TOKEN, api_bind=f"127.0.0.1:{port}"
    )
    async with open_app(settings) as app, httpx.AsyncClient() as client:
        runner = Runner(app, io.StringIO())
        real_run = runner.worker.run
        started: list[int] = []
        restarted = asyncio.Event()

        async def breaks_the_first_time(stop: asyncio.Event, idle_wait: float = 1.0) -> None:
            started.append(1)
            if len(started) == 1:
                # It had taken an entry: left 'sending', it must be queued again.
                assert await app.store.claim(now=NOW, limit=5, platforms=["console"])
                raise RuntimeError("worker bug")
            restarted.set()
            await real_run(stop, idle_wait)

        runner.worker.run = breaks_the_first_time  # type: ignore[method-assign]
        reader = await app.store.upsert_subscriber("console", "me", now=NOW)
        await app.store.enqueue(
            [OutboxItem(reader.id, "digest", "p", "console", [OutgoingMessage(text="hello")])],
            now=NOW,
        )
        running = asyncio.create_task(runner.run())
        try:
            await asyncio.wait_for(paused.wait(), 10)
            down = await client.get(f"http://127.0.0.1:{port}/healthz")
            assert down.status_code == 503
            assert "delivery worker is down: RuntimeError: worker bug" in down.json()["error"]
            resume.set()
            await asyncio.wait_for(restarted.wait(), 10)
            up = await client.get(f"http://127.0.0.1:{port}/healthz")
            assert up.status_code == 200 and up.json() == {"status": "ok"}
            for _ in range(1000):  # the entry the first run left behind goes out now
                if await app.store.outbox_counts() == {"console": {"sent": 1}}:
                    break
                await asyncio.sleep(0.01)
            assert await app.store.outbox_counts() == {"console": {"sent": 1}}
        finally:
            runner.stop.set()
            assert await asyncio.wait_for(running, 15) == 0
    assert len(started) == 2
    (line,) = [
        r.getMessage() for r in caplog.records if "delivery worker stopped" in r.getMessage()
    ]
    assert line == "delivery worker stopped (RuntimeError: worker bug); restarting it in 1 s"


async def test_a_cancelled_task_is_restarted_and_cancelling_the_supervisor_ends_it() -> None:
    stop, liveness = asyncio.Event(), Liveness()
    children: list[asyncio.Task[None]] = []
    second = asyncio.Event()

    async def child() -> None:
        current = asyncio.current_task()
        assert current is not None
        children.append(current)
        if len(children) == 2:
            second.set()
        await asyncio.Event().wait()  # runs until cancelled

    async def no_pause(stop: asyncio.Event, seconds: float) -> None:
        assert liveness.problem() == "worker is down: it was cancelled; restarting in 1 s"

    supervisor = asyncio.create_task(supervise("worker", child, stop, liveness, pause=no_pause))
    while not children:
        await asyncio.sleep(0)
    children[0].cancel()  # ended from outside: not a shutdown, so restarted
    await asyncio.wait_for(second.wait(), 10)
    assert liveness.problem() is None
    supervisor.cancel()  # a shutdown past its grace period: the child goes too
    with pytest.raises(asyncio.CancelledError):
        await supervisor
    assert children[1].cancelled()


@pytest.mark.parametrize(
    ("failures", "seconds"), [(1, 1.0), (2, 2.0), (3, 4.0), (7, 60.0), (10_000, 60.0)]
)
def test_restart_delay_doubles_up_to_a_minute(failures: int, seconds: float) -> None:
    assert restart_delay(failures) == seconds


async def test_a_task_that_ends_because_of_stop_is_not_restarted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop, calls = asyncio.Event(), []

    async def child() -> None:
        calls.append(1)
        stop.set()

    caplog.set_level(logging.INFO)
    await asyncio.wait_for(supervise("worker", child, stop, Liveness()), 10)
    assert calls == [1] and not caplog.records
