"""Issue 19 item 6: a category that leaves feeds.toml leaves the bot. ``feeds sync``
retires it (not in ``categories list``, nowhere a reader chooses), says how many
subscribers it touched, and brings it back with its subscriptions when it returns."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from digests import actions
from digests.feedsfile import apply_feeds_config, parse_feeds_text
from digests.store import Store
from tests.conftest import NOW

BOTH = """
[categories.climate]
name = "Climate"

[categories.markets]
name = "Markets"

[[feeds]]
url = "https://feeds.example/climate.xml"
category = "climate"

[[feeds]]
url = "https://feeds.example/markets.xml"
category = "markets"
"""

CLIMATE_ONLY = """
[categories.climate]
name = "Climate"

[[feeds]]
url = "https://feeds.example/climate.xml"
category = "climate"
"""
HOUR = timedelta(hours=1)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def subscribe_two(db: Path) -> None:
    async def fill() -> None:
        store = await Store.open(db)
        try:
            for chat in ("1", "2"):
                sub = await store.upsert_subscriber("telegram", chat, now=NOW)
                await store.subscribe(sub.id, ["climate", "markets"], now=NOW)
        finally:
            await store.close()

    asyncio.run(fill())


def categories_of(db: Path) -> list[tuple[str, ...]]:
    async def read() -> list[tuple[str, ...]]:
        store = await Store.open(db)
        try:
            return [s.categories for s in await store.list_subscribers()]
        finally:
            await store.close()

    return asyncio.run(read())


def test_sync_retires_a_removed_category_and_brings_it_back(clean_cwd: Path) -> None:
    feeds = clean_cwd / "feeds.toml"
    feeds.write_text(BOTH)
    assert run("init")[0] == 0
    subscribe_two(clean_cwd / "digestbot.db")

    feeds.write_text(CLIMATE_ONLY)
    code, out = run("feeds", "sync")
    assert code == 0
    assert "retired category markets" in out and "2 subscribers kept dormant" in out
    assert "subscribers touched: 2" in out
    code, out = run("categories", "list")
    assert code == 0 and "climate" in out and "markets" not in out
    # Dormant: not shown, not delivered (a subscriber's subscriptions are the live ones).
    assert categories_of(clean_cwd / "digestbot.db") == [("climate",), ("climate",)]

    feeds.write_text(BOTH)
    code, out = run("feeds", "sync")
    assert code == 0 and "category markets is back; 2 subscribers resume" in out
    assert "markets" in run("categories", "list")[1]
    assert categories_of(clean_cwd / "digestbot.db") == [("climate", "markets")] * 2


async def test_a_retired_category_is_nowhere_a_reader_chooses(store: Store) -> None:
    await apply_feeds_config(store, parse_feeds_text(BOTH), now=NOW, default_interval=HOUR)
    sub = await store.upsert_subscriber("telegram", "5", now=NOW)
    await store.subscribe(sub.id, ["markets"], now=NOW)
    stale = await store.get_subscriber(sub.id)  # a picker drawn before the sync
    report = await apply_feeds_config(
        store, parse_feeds_text(CLIMATE_ONLY), now=NOW, default_interval=HOUR
    )
    assert report.retired == {"markets": 1} and report.subscribers_touched == 1
    assert [c.slug for c in await store.list_categories()] == ["climate"]
    assert [c.slug for c in await store.list_categories(retired=True)] == ["climate", "markets"]
    assert [t.slug for t in await actions.category_toggles(store, stale)] == ["climate"]
    gone = "That category no longer exists."
    assert await actions.toggle(store, stale, "markets", now=NOW, by="telegram:5") == gone
    assert await actions.choose(store, stale, "markets", True, now=NOW, by="telegram:5") == gone
    spelling = actions.Spelling()
    reply = await actions.subscribe(store, stale, ["markets"], now=NOW, spelling=spelling)
    assert reply.startswith("Unknown category: markets. Available: climate")
    described = await actions.describe(store, await store.get_subscriber(sub.id), spelling=spelling)
    assert "Markets" not in described and "no subscriptions yet" in described
    with pytest.raises(Exception, match="unknown category: markets"):
        await store.require_categories(["markets"])
