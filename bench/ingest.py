"""Benchmark: poll 200 feeds × 50 items from a local HTTP server into the store.

Usage: python -m bench.ingest [--feeds 200] [--items 50]

The feed server runs in its own process on 127.0.0.1 (so it does not share the event
loop with the poller) and answers conditional requests with 304. Prints the first poll
(every item new: fetch, parse, normalise, store, cluster) in items/s (target ≥ 1,000)
and the second poll (every feed unchanged) in feeds/s (target ≥ 200).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import time
from datetime import timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web

from bench.common import NOW, WORDS, add_categories, options, scratch, serve
from digests.ingest.fetch import build_client
from digests.ingest.pipeline import poll_feeds
from digests.settings import Settings
from digests.store import Store


def feed_body(index: int, items: int) -> bytes:
    rng = random.Random(index)
    parts = [
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Outlet {index}</title><link>https://outlet{index}.example/</link>"
        f"<description>Bench feed {index}</description>"
    ]
    for item in range(items):
        title = " ".join(f"{rng.choice(WORDS)}{rng.randint(0, 5000)}" for _ in range(7))
        published = NOW - timedelta(minutes=rng.randint(0, 24 * 60))
        parts.append(
            f"<item><title>{escape(title.capitalize())}</title>"
            f"<link>https://outlet{index}.example/{item}?utm_source=rss</link>"
            f"<guid>outlet{index}-{item}</guid><pubDate>{format_datetime(published)}</pubDate>"
            f"<description>{escape('<p>What happened, in a few sentences. ' * 6 + '</p>')}"
            f"</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def serve_feeds(base_queue: multiprocessing.Queue, feeds: int, items: int) -> None:  # type: ignore[type-arg]
    bodies = {str(i): feed_body(i, items) for i in range(feeds)}

    async def handle(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        etag = f'"{name}-v1"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304)
        return web.Response(
            body=bodies[name], content_type="application/rss+xml", headers={"ETag": etag}
        )

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feed/{name}", handle)
        _, base = await serve(app)
        base_queue.put(base)
        await asyncio.sleep(3600)

    asyncio.run(main())


async def run(base: str, feeds: int, items: int) -> None:
    settings = Settings(database_path=scratch("ingest") / "bench.db")
    store = await Store.open(settings.database_path)
    await add_categories(store, ["news"])
    for i in range(feeds):
        await store.upsert_feed(
            f"{base}/feed/{i}", ["news"], now=NOW, interval=timedelta(minutes=15)
        )
    async with build_client(settings.fetch) as client:
        started = time.perf_counter()
        first = await poll_feeds(store, client, settings, now=NOW)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        second = await poll_feeds(store, client, settings, now=NOW + timedelta(minutes=15))
        second_s = time.perf_counter() - started
    counts = await store.counts()
    await store.close()
    assert not first.failed and not second.failed, (first.failed, second.failed)
    print(f"feeds × items:        {feeds} × {items} = {feeds * items} items")
    print(
        f"first poll (all new): {first_s:.2f} s → {first.counts.new / first_s:,.0f} items/s "
        f"(target ≥ 1,000); {counts['stories']} stories"
    )
    print(
        f"second poll (304):    {second_s:.2f} s → {second.not_modified / second_s:,.0f} "
        f"feeds/s (target ≥ 200)"
    )


def main() -> None:
    args = options(__doc__, feeds=200, items=50)
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(
        target=serve_feeds, args=(queue, args.feeds, args.items), daemon=True
    )
    server.start()
    try:
        asyncio.run(run(queue.get(timeout=30), args.feeds, args.items))
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    main()
