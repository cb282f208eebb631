"""``digestbot run``'s poll tick: each due feed is polled as a task of its own, so a feed
that hangs holds neither the tick nor any other feed, and a failing feed shows in
``feeds list``. A fake clock decides what is due; nothing here waits for a real tick."""

from __future__ import annotations

import argparse
import asyncio
import io
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from bot.cli.feeds import cmd_feeds_list
from bot.run import Runner
from bot.wiring import open_app
from digests.models import Category
from digests.settings import Settings
from digests.timeutil import FakeClock
from tests.conftest import NOW

FEED = Path(__file__).parents[1] / "fixtures" / "feeds" / "rss2.xml"
EVERY = timedelta(minutes=15)


async def until(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    """Let the loop run until ``condition()`` holds (the tasks under test are real)."""
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")


async def test_a_hanging_feed_never_holds_the_tick_or_the_other_feeds(
    tmp_path: Path,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    release = asyncio.Event()
    hits: dict[str, int] = {}

    async def handle(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        hits[name] = hits.get(name, 0) + 1
        if name == "hangs":
            await release.wait()
        return web.Response(body=FEED.read_bytes())

    app = web.Application()
    app.router.add_get("/{name}", handle)
    base = await local_server(app)
    clock = FakeClock(NOW)
    async with open_app(Settings(database_path=tmp_path / "poll.db"), clock=clock) as bot:
        await bot.store.upsert_category(Category("climate", "Climate"))
        for name in ("hangs", "quick"):
            await bot.store.upsert_feed(f"{base}/{name}", ["climate"], now=NOW, interval=EVERY)
        runner = Runner(bot, io.StringIO())
        try:
            await asyncio.wait_for(runner.poll(), 1)  # the tick itself returns at once
            assert runner.poller is not None and len(runner.jobs) == 2
            await until(lambda: hits.get("quick") == 1 and len(runner.jobs) == 1)
            for round_ in (2, 3):
                clock.advance(EVERY)
                await asyncio.wait_for(runner.poll(), 1)
                await until(lambda r=round_: hits.get("quick") == r and len(runner.jobs) == 1)
            assert hits == {"hangs": 1, "quick": 3}
            release.set()
            await until(lambda: not runner.jobs)
        finally:
            await runner.http.aclose()
        feeds = {f.url.rsplit("/", 1)[1]: f for f in await bot.store.list_feeds()}
        assert feeds["hangs"].last_fetched_at == NOW
        assert feeds["quick"].last_fetched_at == NOW + 2 * EVERY


async def test_a_failing_feed_is_recorded_and_shows_in_feeds_list(
    tmp_path: Path,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    async def busy(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "99999999999999999999"})

    app = web.Application()
    app.router.add_get("/busy", busy)
    base = await local_server(app)
    async with open_app(Settings(database_path=tmp_path / "fail.db"), clock=FakeClock(NOW)) as bot:
        await bot.store.upsert_category(Category("climate", "Climate"))
        await bot.store.upsert_feed(f"{base}/busy", ["climate"], now=NOW, interval=EVERY)
        runner = Runner(bot, io.StringIO())
        try:
            await runner.poll()
            await until(lambda: not runner.jobs)
        finally:
            await runner.http.aclose()
        out = io.StringIO()
        assert await cmd_feeds_list(argparse.Namespace(), bot, out) == 0
    assert "failing (1x): HTTP 429 Too Many Requests" in out.getvalue()
