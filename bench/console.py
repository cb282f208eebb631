"""Benchmark: what one page view of the web console costs on a large SQLite database.

Usage: python -m bench.console [--subscribers 1000000] [--articles 100000]
                               [--audit 200000] [--repeat 3]

Builds a database (readers over five categories and four languages and zones, 200 feeds,
articles grouped two to a story, audit rows, two days of sends per minute), serves the
console in this process (the admin API's aiohttp application), signs in as an admin and
prints, for each page, the best and the worst of ``--repeat`` views. Then it measures what
a view of the subscribers page (the only page whose counts grow with the readers) costs
the process's writes: the longest a write waited while the page was made. Figures only:
nothing here is asserted.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from aiohttp.test_utils import TestServer
from argon2 import PasswordHasher

from bench.common import options, scratch
from bot.api import Api
from bot.web import passwords
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import FakeClock, to_db

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
CATEGORIES = ("climate", "tech", "markets", "world", "sport")
LANGUAGES = ("en", "vi", "de", "fr")
ZONES = ("UTC", "Asia/Ho_Chi_Minh", "Europe/Berlin", "America/New_York")
WORDS = ("flood", "election", "market", "rally", "storm", "chip", "model", "budget")
PAGES = (
    "/console/",
    "/console/subscribers",
    "/console/feeds",
    "/console/stories",
    "/console/stories?q=storm+market",
    "/console/audit",
    "/console/audit?actor=ed",
    "/console/breaking",
    "/console/preview?category=climate&platform=telegram&language=vi",
)
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def fill(path: Path, subscribers: int, articles: int, audit: int) -> None:
    """The bulk rows, written straight into the migrated SQLite file."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    stamp = to_db(NOW)
    db.executemany(
        "INSERT INTO categories (slug, name) VALUES (?, ?)", [(c, c.title()) for c in CATEGORIES]
    )
    db.executemany(
        "INSERT INTO subscribers (id, platform, chat_id, language, timezone, active, paused, "
        "next_digest_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                n,
                "telegram" if n % 3 else "discord",
                str(10**9 + n),
                LANGUAGES[n % 4],
                ZONES[n % 4],
                int(n % 10 != 0),
                int(n % 17 == 0),
                to_db(NOW + timedelta(minutes=n % 1440)),
                stamp,
                stamp,
            )
            for n in range(1, subscribers + 1)
        ),
    )
    db.executemany(
        "INSERT INTO subscriptions (subscriber_id, category, created_at) VALUES (?, ?, ?)",
        ((n, CATEGORIES[n % 5], stamp) for n in range(1, subscribers + 1)),
    )
    db.executemany(
        "INSERT INTO feeds (id, url, name, interval_s, created_at, next_fetch_at) "
        "VALUES (?, ?, ?, 900, ?, ?)",
        ((f, f"https://f{f}.example/rss", f"Feed {f}", stamp, stamp) for f in range(1, 201)),
    )
    db.executemany(
        "INSERT INTO stories (id, title, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)",
        (
            (s, f"story {s}", *(to_db(NOW - timedelta(minutes=articles - 2 * s)),) * 2)
            for s in range(1, articles // 2 + 1)
        ),
    )
    db.executemany(
        "INSERT INTO articles (id, scope, feed_id, guid, url, title, summary, source, "
        "published_at, fetched_at, updated_at, story_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                a,
                f"feed:{1 + a % 200}",
                1 + a % 200,
                f"g{a}",
                f"https://x.example/{a}",
                f"{WORDS[a % 8]} news item {a}",
                f"summary about {WORDS[a * 7 % 8]} and more {a}",
                f"Feed {1 + a % 200}",
                *(to_db(NOW - timedelta(minutes=articles - a)),) * 3,
                1 + (a - 1) // 2,
            )
            for a in range(1, articles + 1)
        ),
    )
    db.executemany(
        "INSERT INTO article_categories (article_id, category) VALUES (?, ?)",
        ((a, CATEGORIES[a % 5]) for a in range(1, articles + 1)),
    )
    db.executemany(
        "INSERT INTO audit (at, actor, platform, action, target, outcome) "
        "VALUES (?, ?, ?, ?, ?, 'ok')",
        (
            (
                to_db(NOW - timedelta(minutes=audit - i)),
                ("ed", "ada", "cli", "api")[i % 4],
                ("console", "telegram", "cli", "api")[i % 4],
                ("login", "feed-add", "breaking", "story-merge")[i % 4],
                f"t{i}",
            )
            for i in range(audit)
        ),
    )
    db.executemany(
        "INSERT INTO send_minutes (minute, platform, sent, limited) VALUES (?, ?, ?, ?)",
        (
            ((NOW - timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M"), p, 25, int(m % 97 == 0))
            for m in range(2880)
            for p in ("telegram", "discord")
        ),
    )
    db.commit()
    db.close()


async def sign_in(client: httpx.AsyncClient) -> None:
    form = await client.get("/console/login")
    found = _CSRF.search(form.text)
    assert found is not None
    answer = await client.post(
        "/console/login",
        data={"csrf": found.group(1), "name": "ada", "password": "bench password", "next": ""},
    )
    assert answer.status_code == 303, answer.status_code


async def views(client: httpx.AsyncClient, repeat: int) -> None:
    for path in PAGES:
        took = []
        for _ in range(repeat):
            start = time.perf_counter()
            answer = await client.get(path)
            took.append(time.perf_counter() - start)
        print(
            f"{path:<66} {answer.status_code}  best {min(took) * 1000:7.0f} ms"
            f"  worst {max(took) * 1000:7.0f} ms",
            flush=True,
        )


async def writes_beside(client: httpx.AsyncClient, store: Store) -> None:
    """The longest a write (a 429 counted) waited while the subscribers page was made."""
    worst = 0.0
    done = asyncio.Event()

    async def writer() -> None:
        nonlocal worst
        while not done.is_set():
            start = time.perf_counter()
            await store.count_limited("telegram", now=NOW)
            worst = max(worst, time.perf_counter() - start)
            await asyncio.sleep(0.005)

    task = asyncio.create_task(writer())
    start = time.perf_counter()
    await client.get("/console/subscribers")
    page = time.perf_counter() - start
    done.set()
    await task
    print(
        f"subscribers page {page * 1000:.0f} ms; the longest write beside it {worst * 1000:.0f} ms"
    )


async def main() -> None:
    args = options(__doc__, subscribers=1_000_000, articles=100_000, audit=200_000, repeat=3)
    path = scratch("console") / "console.db"
    store = await Store.open(path)
    await store.close()
    start = time.perf_counter()
    fill(path, args.subscribers, args.articles, args.audit)
    print(
        f"{args.subscribers:,} subscribers, {args.articles:,} articles, {args.audit:,} audit "
        f"rows written in {time.perf_counter() - start:.0f} s ({path})"
    )
    # The least work argon2 allows: the log-in is not what is measured here.
    passwords._HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    store = await Store.open(path)
    await store.add_console_user(
        "ada",
        role="admin",
        password_hash=passwords.hash_password("bench password"),
        must_change=False,
        now=NOW,
    )
    server = TestServer(Api(store, Renderer(), Settings(), FakeClock(NOW)).app(), host="127.0.0.1")
    await server.start_server()
    try:
        async with httpx.AsyncClient(base_url=str(server.make_url("")), timeout=600) as client:
            await sign_in(client)
            await views(client, args.repeat)
            await writes_beside(client, store)
    finally:
        await server.close()
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())
