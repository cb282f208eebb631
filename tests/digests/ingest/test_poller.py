"""FeedPoller: each due feed is polled as a task of its own, so a slow feed never delays
another. A fake clock decides what is due; a server that holds one feed until told to
answer plays the slow feed, so nothing here sleeps."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from digests.ingest.fetch import build_client
from digests.ingest.pipeline import FeedPoller, PollReport
from digests.models import Feed
from digests.settings import FetchLimits, Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.conftest import NOW

FIXTURES = Path(__file__).parents[2] / "fixtures" / "feeds"


class HeldServer:
    """Serves rss2.xml on every path; ``/held`` answers only once ``release`` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.hits: dict[str, int] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{name}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.hits[name] = self.hits.get(name, 0) + 1
        if name == "held":
            await self.release.wait()
        return web.Response(body=(FIXTURES / "rss2.xml").read_bytes())


async def test_a_slow_feed_never_delays_a_due_one(categorised_store: Store, local_server) -> None:  # type: ignore[no-untyped-def]
    server = HeldServer()
    base = await local_server(server.app())
    store = categorised_store
    every = timedelta(minutes=15)
    held = await store.upsert_feed(f"{base}/held", ["climate"], now=NOW, interval=every)
    quick = await store.upsert_feed(f"{base}/quick", ["climate"], now=NOW, interval=every)
    clock = FakeClock(NOW)
    done: list[tuple[Feed, PollReport]] = []
    settings = Settings()
    async with build_client(settings.fetch) as client:
        poller = FeedPoller(
            store, client, settings, clock, on_done=lambda f, r: done.append((f, r))
        )
        first = await poller.tick()
        assert len(first) == 2 and poller.in_flight == {held.id, quick.id}
        await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
        (report,) = [t.result() for t in first if t.done()]
        assert report.fetched == 1 and poller.in_flight == {held.id}
        for _ in range(3):  # the quick feed is due again and again while the held one hangs
            clock.advance(every)
            started = await poller.tick()
            assert len(started) == 1  # the held feed is never started twice
            assert (await started[0]).not_modified + (await started[0]).fetched == 1
        assert server.hits == {"held": 1, "quick": 4}
        state = await store.get_feed(quick.url)
        assert state is not None and state.next_fetch_at == clock.now() + every
        server.release.set()
        await poller.wait()
    assert poller.in_flight == frozenset()
    assert [f.id for f, _ in done] == [quick.id] * 4 + [held.id]
    state = await store.get_feed(held.url)
    assert state is not None and state.last_fetched_at == NOW and state.consecutive_errors == 0


async def test_concurrency_is_bounded_and_a_waiting_feed_is_not_started_twice(
    categorised_store: Store,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    server = HeldServer()
    base = await local_server(server.app())
    store = categorised_store
    every = timedelta(minutes=15)
    held = await store.upsert_feed(f"{base}/held", ["climate"], now=NOW, interval=every)
    waiting = await store.upsert_feed(f"{base}/waiting", ["climate"], now=NOW, interval=every)
    clock = FakeClock(NOW)
    settings = Settings(fetch=FetchLimits(concurrency=1))
    async with build_client(settings.fetch) as client:
        poller = FeedPoller(store, client, settings, clock)
        assert len(await poller.tick()) == 2
        while "held" not in server.hits:  # let the first task take the only slot
            await asyncio.sleep(0)
        clock.advance(every)
        assert await poller.tick() == []  # both in flight: one fetching, one waiting
        assert server.hits == {"held": 1}
        server.release.set()
        await poller.wait()
    assert server.hits == {"held": 1, "waiting": 1}
    for feed in (held, waiting):
        state = await store.get_feed(feed.url)
        assert state is not None and state.last_fetched_at is not None


async def test_a_feed_removed_while_waiting_for_a_slot_is_not_fetched(
    categorised_store: Store,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    server = HeldServer()
    base = await local_server(server.app())
    store = categorised_store
    every = timedelta(minutes=15)
    await store.upsert_feed(f"{base}/held", ["climate"], now=NOW, interval=every)
    gone = await store.upsert_feed(f"{base}/gone", ["climate"], now=NOW, interval=every)
    settings = Settings(fetch=FetchLimits(concurrency=1))
    async with build_client(settings.fetch) as client:
        poller = FeedPoller(store, client, settings, FakeClock(NOW))
        await poller.tick()
        while "held" not in server.hits:
            await asyncio.sleep(0)
        await store.remove_feed(gone.url)
        server.release.set()
        await poller.wait()
    assert server.hits == {"held": 1}
