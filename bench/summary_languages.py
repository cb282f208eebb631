"""Benchmark: the languages of each category's readers (``Store.summary_languages``).

Usage: python -m bench.summary_languages [--subscribers N] [--vietnamese 0.1]
                                         [--repeat 3] [--database sqlite|postgresql]

20 categories; each subscriber picks 3 of them and reads English, or (a share
``--vietnamese``) Vietnamese; one in twenty is paused, one in fifty inactive. Prints the
best of ``--repeat`` timings of the query the summary worker runs (and caches) and
the same answer by one plain join, for comparison. Figures only: nothing here is asserted.
"""

from __future__ import annotations

import asyncio
import random
import time

from bench.common import ENGINES, NOW, add_categories, database, insert_subscribers, options
from digests.store import Store

# The one-query answer summary_languages avoids: every reader joined to every subscription.
PLAIN_JOIN = """SELECT DISTINCT s.language, c.category
FROM subscribers s JOIN subscriptions c ON c.subscriber_id = s.id
WHERE s.active = 1 AND s.paused = 0"""
CATEGORIES = [f"cat{n:02d}" for n in range(20)]


async def populate(store: Store, count: int, vietnamese: float) -> None:
    rng = random.Random(14)
    await add_categories(store, CATEGORIES)
    rows = []
    subscriptions = []
    for n in range(1, count + 1):
        rows.append(
            {
                "id": n,
                "platform": "telegram",
                "chat_id": str(n),
                "language": "vi" if rng.random() < vietnamese else "en",
                "paused": int(n % 20 == 0),
                "active": int(n % 50 != 0),
            }
        )
        subscriptions += [(n, slug) for slug in rng.sample(CATEGORIES, 3)]
    await insert_subscribers(store, rows, now=NOW, subscriptions=subscriptions)


async def main() -> None:
    args = options(__doc__, subscribers=200_000, vietnamese=0.1, repeat=3, database=ENGINES)
    with database(args.database, "summary-languages") as target:
        store = await Store.open(target)
        try:
            started = time.perf_counter()
            await populate(store, args.subscribers, args.vietnamese)
            print(f"stored {args.subscribers:,} readers in {time.perf_counter() - started:.1f} s")
            timings = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                found = await store.summary_languages()
                timings.append(time.perf_counter() - started)
            pairs = sum(len(languages) for languages in found.values())
            print(
                f"summary_languages: {len(found)} categories, {pairs} (category, language) "
                f"pairs, best of {args.repeat}: {min(timings) * 1000:.0f} ms"
            )
            plain = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                rows = await store._fetchall(PLAIN_JOIN)
                plain.append(time.perf_counter() - started)
            print(
                f"the plain join for comparison: {len(rows)} pairs, best of {args.repeat}: "
                f"{min(plain) * 1000:.0f} ms"
            )
        finally:
            await store.close()


if __name__ == "__main__":
    asyncio.run(main())
