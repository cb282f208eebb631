"""FeedPoller with feed claims (issue 12): two pollers on two connections to one database
play two processes; each due feed is fetched by one of them, a poller takes no more than it
has free slots, and a dead process's claims are taken over once they expire. On SQLite
and PostgreSQL; a fake clock decides what is due, and a held feed plays a slow one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from digests.dburl import PostgresUrl
from digests.ingest.fetch import build_client
from digests.ingest.pipeline import FeedPoller
from digests.settings import FetchLimits, Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.conftest import CATEGORIES, NOW

FIXTURES = Path(__file__).parents[2] / "fixtures" / "feeds"
EVERY = timedelta(minutes=15)
CLAIM = timedelta(minutes=2)


class CountingServer:
    """Serves rss2.xml on every path, counting the fetches; ``/held`` answers only once
    ``release`` is set."""

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


@pytest.fixture(params=["sqlite", "postgresql"])
async def two_stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Store, Store]]:
    """Two connections on one database, as two processes would have."""
    target: Path | PostgresUrl = (
        request.getfixturevalue("postgres_url")
        if request.param == "postgresql"
        else tmp_path / "shared.db"
    )
    first = await Store.open(target)
    second = await Store.open(target)
    for category in CATEGORIES:
        await first.upsert_category(category)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def claims(store: Store) -> list[str | None]:
    rows = await store._fetchall("SELECT claimed_by FROM feeds ORDER BY id")
    return [r[0] for r in rows]


async def test_two_pollers_fetch_each_due_feed_once(
    two_stores: tuple[Store, Store],
    local_server: Callable[[web.Application], Awaitable[str]],
) -> None:
    first, second = two_stores
    server = CountingServer()
    base = await local_server(server.app())
    names = [f"f{i}" for i in range(6)]
    for name in names:
        await first.upsert_feed(f"{base}/{name}", ["climate"], now=NOW, interval=EVERY)
    clock = FakeClock(NOW)
    settings = Settings()
    async with build_client(settings.fetch) as client:
        pollers = [
            FeedPoller(store, client, settings, clock, holder=holder, claim=CLAIM)
            for store, holder in ((first, "a"), (second, "b"))
        ]
        for round_ in (1, 2):
            started = await asyncio.gather(*(p.tick() for p in pollers))
            assert sum(len(s) for s in started) == len(names)
            await asyncio.gather(*(p.wait() for p in pollers))
            assert server.hits == dict.fromkeys(names, round_)
            assert await claims(first) == [None] * len(names)  # released after each poll
            assert all(p.in_flight == frozenset() for p in pollers)
            clock.advance(EVERY)


async def test_a_poller_takes_only_what_it_has_slots_for(
    two_stores: tuple[Store, Store],
    local_server: Callable[[web.Application], Awaitable[str]],
) -> None:
    first, second = two_stores
    server = CountingServer()
    base = await local_server(server.app())
    held = await first.upsert_feed(f"{base}/held", ["climate"], now=NOW, interval=EVERY)
    for name in ("x", "y"):
        await first.upsert_feed(f"{base}/{name}", ["climate"], now=NOW, interval=EVERY)
    clock = FakeClock(NOW)
    settings = Settings()
    async with build_client(settings.fetch) as client:
        narrow = FeedPoller(
            first,
            client,
            Settings(fetch=FetchLimits(concurrency=1)),
            clock,
            holder="a",
            claim=CLAIM,
        )
        wide = FeedPoller(second, client, settings, clock, holder="b", claim=CLAIM)
        assert len(await narrow.tick()) == 1  # the held feed, due the longest (lowest id)
        assert narrow.in_flight == {held.id}
        assert len(await wide.tick()) == 2
        await wide.wait()
        assert server.hits.get("x") == server.hits.get("y") == 1
        # The held feed is still being fetched: its claim is renewed, nobody else takes it.
        clock.advance(CLAIM)
        assert await narrow.tick() == []
        assert await wide.tick() == []
        server.release.set()
        await narrow.wait()
    assert server.hits == {"held": 1, "x": 1, "y": 1}


async def test_a_dead_processs_claims_are_taken_over_once_expired(
    two_stores: tuple[Store, Store],
    local_server: Callable[[web.Application], Awaitable[str]],
) -> None:
    first, second = two_stores
    server = CountingServer()
    base = await local_server(server.app())
    for name in ("p", "q"):
        await first.upsert_feed(f"{base}/{name}", ["climate"], now=NOW, interval=EVERY)
    # A process claimed both and died before fetching them.
    assert len(await first.due_feeds(NOW, holder="dead", claim=CLAIM)) == 2
    clock = FakeClock(NOW)
    settings = Settings()
    async with build_client(settings.fetch) as client:
        poller = FeedPoller(second, client, settings, clock, holder="b", claim=CLAIM)
        clock.advance(CLAIM - timedelta(seconds=1))
        assert await poller.tick() == []
        clock.advance(timedelta(seconds=1))
        assert len(await poller.tick()) == 2
        await poller.wait()
    assert server.hits == {"p": 1, "q": 1}
    assert await claims(first) == [None, None]
