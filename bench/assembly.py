"""Benchmark: plan and render a Telegram digest for 100,000 subscribers.

Usage: python -m bench.assembly [--subscribers N] [--articles N] [--uniform]
                                [--database sqlite|postgresql]

20 categories; each subscriber picks 3–5 of them (by default with Zipf-like popularity,
as real category sign-ups are skewed; --uniform makes every combination equally likely,
the worst case for sharing renders); 2,000 articles in the window, stored in a real
database (SQLite, or with --database postgresql a throwaway PostgreSQL server) and read
back the way a dispatcher reads them. Prints digests/s for
planning and rendering (the target is ≥ 5,000/s) and the peak RSS (target ≤ 300 MB).
"""

from __future__ import annotations

import asyncio
import random
import resource
import time
from datetime import timedelta
from pathlib import Path

from bench.common import ENGINES, NOW, WORDS, database, options, scratch
from digests.assemble import build_pool, plan_digest
from digests.dburl import PostgresUrl
from digests.ingest.importer import import_records
from digests.models import Category, Subscriber, Subscription
from digests.render import Presentation, RenderCache, Renderer, sharing_order
from digests.settings import DigestLimits
from digests.store import Store

ZONES = (
    "UTC",
    "Europe/London",
    "America/New_York",
    "Asia/Ho_Chi_Minh",
    "Asia/Tokyo",
    "Australia/Sydney",
)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def load_articles(  # type: ignore[no-untyped-def]
    n_articles: int,
    categories: list[Category],
    rng: random.Random,
    path: Path | PostgresUrl | None = None,
):
    path = path or scratch("bench") / "bench.db"
    store = await Store.open(path)
    for category in categories:
        await store.upsert_category(category)
    # Headlines from a large made-up vocabulary, so unrelated stories rarely look alike;
    # about one story in six is also reported by one or two other outlets.
    vocabulary = [f"{rng.choice(WORDS)}{n}" for n in range(5000)]
    records = []
    while len(records) < n_articles:
        words = [rng.choice(vocabulary) for _ in range(7)]
        category = rng.choice(categories).slug
        published = NOW - timedelta(minutes=rng.randint(0, 23 * 60))
        outlets = rng.sample(range(40), 1 if rng.random() < 0.83 else rng.randint(2, 3))
        for outlet in outlets:
            i = len(records)
            records.append(
                (
                    i + 1,
                    {
                        "url": f"https://news{outlet}.example/{i}",
                        "title": " ".join(rng.sample(words, 6)).capitalize(),
                        "summary": "What happened, in two short sentences. Why it matters to you.",
                        "category": category,
                        "source": f"Outlet {outlet}",
                        "published_at": (published + timedelta(minutes=5 * outlet)).isoformat(),
                    },
                )
            )
    await import_records(store, records, now=NOW, story_window=timedelta(hours=48))
    started = time.perf_counter()
    articles = await store.candidate_articles(published_since=NOW - timedelta(hours=72))
    read_s = time.perf_counter() - started
    await store.close()
    return articles, read_s


def make_subscribers(
    n: int, categories: list[Category], rng: random.Random, uniform: bool
) -> list[Subscriber]:
    slugs = [c.slug for c in categories]
    weights = [1.0 if uniform else 1 / (rank + 1) for rank in range(len(slugs))]
    subscribers = []
    for i in range(n):
        chosen: set[str] = set()
        want = rng.randint(3, 5)
        while len(chosen) < want:
            chosen.add(rng.choices(slugs, weights)[0])
        subscribers.append(
            Subscriber(
                id=i + 1,
                platform="telegram",
                chat_id=str(i),
                language="vi" if rng.random() < 0.2 else "en",
                timezone=rng.choice(ZONES),
                subscriptions=tuple(Subscription(s) for s in sorted(chosen)),
            )
        )
    return subscribers


def main() -> None:
    args = options(__doc__, subscribers=100_000, articles=2_000, uniform=False, database=ENGINES)
    rng = random.Random(7)
    categories = [Category(f"cat-{i:02d}", f"Category {i}", "", i) for i in range(20)]
    limits = DigestLimits()

    with database(args.database, "bench") as target:
        articles, read_s = asyncio.run(load_articles(args.articles, categories, rng, target))
    engine = "PostgreSQL" if args.database == "postgresql" else "SQLite"
    subscribers = make_subscribers(args.subscribers, categories, rng, args.uniform)
    base_rss = rss_mb()

    started = time.perf_counter()
    pool = build_pool(articles, categories, now=NOW, limits=limits)
    pool_s = time.perf_counter() - started

    cache = RenderCache(Renderer())
    started = time.perf_counter()
    messages = 0
    stories = 0
    for subscriber in sorted(subscribers, key=sharing_order):
        plan = plan_digest(subscriber, pool, limits=limits)
        rendered = cache.render(
            plan, "telegram", Presentation(subscriber.language, subscriber.timezone)
        )
        messages += len(rendered)
        stories += len(plan.story_ids)
    total_s = time.perf_counter() - started

    rate = len(subscribers) / total_s
    print(f"articles in window:     {len(articles)} (read from {engine} in {read_s * 1000:.0f} ms)")
    print(f"pool built in:          {pool_s * 1000:.0f} ms")
    print(
        f"subscribers:            {len(subscribers)} "
        f"({'uniform' if args.uniform else 'zipf-weighted'} categories)"
    )
    print(
        f"renderings:             {cache.misses} for {len(subscribers)} digests "
        f"({cache.hits} shared)"
    )
    print(
        f"stories per digest:     {stories / len(subscribers):.1f}, "
        f"messages per digest: {messages / len(subscribers):.2f}"
    )
    print(
        f"plan + render:          {total_s:.2f} s (sorting included)  →  "
        f"{rate:,.0f} digests/s (target ≥ 5,000)"
    )
    print(
        f"peak RSS:               {rss_mb():.0f} MB (after loading data: {base_rss:.0f} MB;"
        f" target ≤ 300)"
    )


if __name__ == "__main__":
    main()
