"""Benchmark: dispatch 100,000 due digests (plan, render, enqueue into the outbox).

Usage: python -m bench.dispatch [--subscribers N] [--database sqlite|postgresql]

Subscribers (3–5 of 20 categories each, Zipf-weighted, 20 % Vietnamese, six time zones)
and 2,000 articles live in a real database (SQLite, or with --database postgresql a
throwaway PostgreSQL server); every subscriber is due. One call of the dispatcher reads
them, plans and renders each digest (identical ones share a rendering) and writes the
outbox in one transaction. Target ≥ 5,000 digests/s.
"""

from __future__ import annotations

import asyncio
import random
import resource
import time
from pathlib import Path

from bench.assembly import load_articles, make_subscribers
from bench.common import ENGINES, NOW, database, insert_subscribers, options
from digests.dburl import PostgresUrl
from digests.dispatch import dispatch_due
from digests.models import Category
from digests.render import RenderCache, Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import to_db


async def main(count: int, db: Path | PostgresUrl) -> None:
    rng = random.Random(11)
    categories = [Category(f"cat-{i:02d}", f"Category {i}", "", i) for i in range(20)]
    await load_articles(2000, categories, rng, db)
    store = await Store.open(db)
    subscribers = make_subscribers(count, categories, rng, uniform=False)
    stamp = to_db(NOW)
    await insert_subscribers(
        store,
        [
            {
                "id": s.id,
                "platform": "telegram",
                "chat_id": s.chat_id,
                "language": s.language,
                "timezone": s.timezone,
                "digest_time": "08:00",
                "next_digest_at": stamp,
            }
            for s in subscribers
        ],
        now=NOW,
        subscriptions=[(s.id, c) for s in subscribers for c in s.categories],
    )

    started = time.perf_counter()
    report = await dispatch_due(store, RenderCache(Renderer()), Settings(), now=NOW)
    elapsed = time.perf_counter() - started
    payloads = (await store._fetchone("SELECT COUNT(*) FROM payloads"))[0]
    again = time.perf_counter()
    second = await dispatch_due(store, RenderCache(Renderer()), Settings(), now=NOW)
    second_s = time.perf_counter() - again
    await store.close()
    print(f"database:          {'PostgreSQL' if isinstance(db, PostgresUrl) else 'SQLite'}")
    print(f"due subscribers:   {report.due}")
    print(f"enqueued:          {report.enqueued} digests, {payloads} distinct payloads stored")
    print(
        f"dispatch:          {elapsed:.2f} s → {report.enqueued / elapsed:,.0f} digests/s "
        f"(target ≥ 5,000)"
    )
    print(f"second dispatch:   {second.enqueued} enqueued in {second_s:.2f} s (nothing due)")
    print(f"peak RSS:          {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    args = options(__doc__, subscribers=100_000, database=ENGINES)
    with database(args.database, "dispatch") as target:
        asyncio.run(main(args.subscribers, target))
