"""Benchmark: 50 normal feeds and one that sends 1 byte a second, polled by `digestbot run`.

Usage: python -m bench.slow_feed [--feeds 50] [--seconds 135]

The feeds are served from this process on 127.0.0.1, which notes when each request
arrives; the real ``digestbot run`` is a subprocess polling them (every minute, the floor,
plus 0-6 s so that due times spread over the poll tick). A normal feed's poll lag is how
long after it was due a poll reached the server: due means one interval after its
previous poll. Prints the lag's p50 and max over the repeat polls, whether every normal
feed was polled on time (lag within one poll tick plus 2 s), and what became of the slow
feed (the whole-response deadline, FETCH_TIMEOUT_SECONDS, ends its fetch; it is recorded
as failing and backs off).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from bench.common import add_categories, options, scratch, serve, start_run
from bot.run import POLL_TICK
from digests.store import Store

INTERVAL = timedelta(minutes=1)  # the floor; normal feed i adds i % 7 s, so due times spread
SLACK_S = 2.0


def interval(index: int) -> timedelta:
    return INTERVAL + timedelta(seconds=index % 7)


def feed_body(index: int) -> bytes:
    items = "".join(
        f"<item><title>Outlet {index} story {n}</title>"
        f"<link>https://outlet{index}.example/{n}</link><guid>o{index}-{n}</guid></item>"
        for n in range(3)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Outlet {index}</title>{items}</channel></rss>"
    ).encode()


class Feeds:
    """The feed server: 304 for a repeat poll, one byte a second on ``/slow``."""

    def __init__(self, count: int) -> None:
        self.bodies = {str(i): feed_body(i) for i in range(count)}
        self.arrivals: dict[str, list[float]] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/feed/{name}", self.feed)
        app.router.add_get("/slow", self.slow)
        return app

    async def feed(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.arrivals.setdefault(name, []).append(time.time())
        etag = f'"{name}-v1"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304)
        return web.Response(
            body=self.bodies[name], content_type="application/rss+xml", headers={"ETag": etag}
        )

    async def slow(self, request: web.Request) -> web.StreamResponse:
        self.arrivals.setdefault("slow", []).append(time.time())
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        body = feed_body(999) * 100
        try:
            for i in range(len(body)):
                await response.write(body[i : i + 1])
                await asyncio.sleep(1)
        except ConnectionResetError:  # the poller gave up at its deadline
            pass
        return response


async def run(folder: Path, count: int, seconds: float) -> tuple[Feeds, float]:
    """Serve the feeds and run ``digestbot run`` for ``seconds``; return the arrivals."""
    feeds = Feeds(count)
    runner, base = await serve(feeds.app())
    db = folder / "slow.db"
    store = await Store.open(db)
    await add_categories(store, ["news"])
    now = datetime.now(UTC)
    await store.upsert_feed(f"{base}/slow", ["news"], now=now, interval=INTERVAL)
    for i in range(count):
        await store.upsert_feed(f"{base}/feed/{i}", ["news"], now=now, interval=interval(i))
    await store.close()
    started = time.time()
    bot = await start_run(
        db, {}, stdout=asyncio.subprocess.DEVNULL, stderr=(folder / "run.log").open("wb")
    )
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(bot.wait(), seconds)
            lines = (folder / "run.log").read_text(errors="replace").strip().splitlines()
            sys.exit(f"digestbot run ended early ({bot.returncode}): {lines[-1] if lines else ''}")
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
            await bot.wait()
        await runner.cleanup()
    return feeds, started


def report(feeds: Feeds, count: int, started: float, seconds: float, *, db: Path) -> None:
    tick_s = POLL_TICK.total_seconds()
    limit = tick_s + SLACK_S
    normal = [feeds.arrivals.get(str(i), []) for i in range(count)]
    first = [times[0] - started for times in normal if times]
    lags = [
        later - (earlier + interval(i).total_seconds())
        for i, times in enumerate(normal)
        for earlier, later in itertools.pairwise(times)
    ]
    # A feed also missed its time when it was due before the end but never polled again.
    missed = sum(
        1
        for i, times in enumerate(normal)
        if not times or times[-1] + interval(i).total_seconds() + limit < started + seconds
    )
    state = asyncio.run(feed_states(db))
    slow = state.pop(next(url for url in state if url.endswith("/slow")))
    failing = [url for url, errors in state.items() if errors[0]]
    on_time = bool(lags) and not missed and max(lags) <= limit and not failing
    print(f"feeds:             {count} normal (every 60-66 s) + 1 at 1 byte/s (every 60 s)")
    print(f"ran:               {seconds:.0f} s of digestbot run (poll tick {tick_s:g} s)")
    if first:
        print(f"first polls:       {len(first)}/{count} feeds, last at {max(first):.1f} s")
    if lags:
        print(
            f"poll lag (repeat): {len(lags)} polls, p50 {statistics.median(lags):.1f} s, "
            f"max {max(lags):.1f} s (on time: ≤ {limit:g} s)"
        )
    else:
        print("poll lag (repeat): no repeat polls (run for more than 66 s)")
    print(f"missed polls:      {missed}; normal feeds failing: {len(failing)}")
    print(
        f"slow feed:         {len(feeds.arrivals.get('slow', []))} request(s), "
        f"{slow[0]} failure(s) recorded: {slow[1]}"
    )
    print(f"every normal feed polled on time: {'yes' if on_time else 'NO'}")


async def feed_states(db: Path) -> dict[str, tuple[int, str | None]]:
    store = await Store.open(db)
    try:
        return {f.url: (f.consecutive_errors, f.last_error) for f in await store.list_feeds()}
    finally:
        await store.close()


if __name__ == "__main__":
    args = options(__doc__, feeds=50, seconds=135.0)
    folder = scratch("slowfeed")
    feeds, started = asyncio.run(run(folder, args.feeds, args.seconds))
    report(feeds, args.feeds, started, args.seconds, db=folder / "slow.db")
