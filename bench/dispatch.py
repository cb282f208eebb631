"""Benchmark: dispatch 100,000 due digests (plan, render, enqueue into the outbox).

Usage: python bench/dispatch.py [--subscribers N]

Subscribers (3–5 of 20 categories each, Zipf-weighted, 20 % Vietnamese, six time zones)
and 2,000 articles live in a real SQLite database; every subscriber is due. One call of
the dispatcher reads them, plans and renders each digest (identical ones share a
rendering) and writes the outbox in one transaction. Target ≥ 5,000 digests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.assembly import NOW, load_articles, make_subscribers
from digests.dispatch import dispatch_due
from digests.models import Category
from digests.render import RenderCache, Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import to_db


async def main(count: int) -> None:
    rng = random.Random(11)
    categories = [Category(f"cat-{i:02d}", f"Category {i}", "", i) for i in range(20)]
    folder = Path(tempfile.mkdtemp(prefix="digestbot-dispatch-"))
    await load_articles(2000, categories, rng, folder / "bench.db")
    store = await Store.open(folder / "bench.db")
    subscribers = make_subscribers(count, categories, rng, uniform=False)
    stamp = to_db(NOW)
    await store._db.execute("BEGIN")
    await store._db.executemany(
        """INSERT INTO subscribers (id, platform, chat_id, language, timezone, digest_time,
               next_digest_at, created_at, updated_at)
           VALUES (?, 'telegram', ?, ?, ?, ?, ?, ?, ?)""",
        [
            (s.id, s.chat_id, s.language, s.timezone, "08:00", stamp, stamp, stamp)
            for s in subscribers
        ],
    )
    await store._db.executemany(
        "INSERT INTO subscriptions (subscriber_id, category, created_at) VALUES (?, ?, ?)",
        [(s.id, c, stamp) for s in subscribers for c in s.categories],
    )
    await store._db.execute("COMMIT")

    started = time.perf_counter()
    report = await dispatch_due(store, RenderCache(Renderer()), Settings(), now=NOW)
    elapsed = time.perf_counter() - started
    payloads = (await store._fetchone("SELECT COUNT(*) FROM payloads"))[0]
    again = time.perf_counter()
    second = await dispatch_due(store, RenderCache(Renderer()), Settings(), now=NOW)
    second_s = time.perf_counter() - again
    await store.close()
    print(f"due subscribers:   {report.due}")
    print(f"enqueued:          {report.enqueued} digests, {payloads} distinct payloads stored")
    print(
        f"dispatch:          {elapsed:.2f} s → {report.enqueued / elapsed:,.0f} digests/s "
        f"(target ≥ 5,000)"
    )
    print(f"second dispatch:   {second.enqueued} enqueued in {second_s:.2f} s (nothing due)")
    print(f"peak RSS:          {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().subscribers))
