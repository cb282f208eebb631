"""A feed's origin (file, cli, import, api) in the store: stored when it is created,
claimed by the feeds file when the file names it, and deciding what ``feeds sync`` may
disable; the import's bulk add leaves known feeds alone."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from digests.feedsfile import FeedsConfig, FeedSpec, apply_feeds_config
from digests.store import NotFound, Store
from tests.conftest import CATEGORIES, NOW

EVERY = timedelta(minutes=30)


async def origins(store: Store) -> dict[str, tuple[str, bool]]:
    return {f.url: (f.origin, f.disabled) for f in await store.list_feeds()}


async def test_each_feed_keeps_who_added_it(categorised_store: Store) -> None:
    store = categorised_store
    await store.upsert_feed("https://f.example/", ["climate"], now=NOW, interval=EVERY)
    await store.upsert_feed(
        "https://c.example/", ["climate"], now=NOW, interval=EVERY, origin="cli", enable=True
    )
    await store.add_new_feeds(
        [("https://i.example/", "Imported", ["markets"])], now=NOW, interval=EVERY, origin="import"
    )
    assert await origins(store) == {
        "https://f.example/": ("file", False),
        "https://c.example/": ("cli", False),
        "https://i.example/": ("import", False),
    }
    imported = await store.get_feed("https://i.example/")
    assert imported is not None and imported.name == "Imported"
    assert imported.categories == ("markets",)


async def test_only_the_files_own_feeds_are_disabled_when_they_leave_it(
    categorised_store: Store,
) -> None:
    store = categorised_store
    for url, origin in [("https://f.example/", "file"), ("https://c.example/", "cli")]:
        await store.upsert_feed(url, ["climate"], now=NOW, interval=EVERY, origin=origin)
    await store.add_new_feeds(
        [("https://i.example/", None, ["climate"])], now=NOW, interval=EVERY, origin="import"
    )
    assert await store.disable_feeds_except([]) == ["https://f.example/"]
    assert await origins(store) == {
        "https://f.example/": ("file", True),
        "https://c.example/": ("cli", False),
        "https://i.example/": ("import", False),
    }


async def test_a_feed_the_file_names_becomes_the_files(categorised_store: Store) -> None:
    store = categorised_store
    await store.upsert_feed(
        "https://c.example/", ["climate"], now=NOW, interval=EVERY, origin="cli", enable=True
    )
    config = FeedsConfig(CATEGORIES, (FeedSpec("https://c.example/", ("markets",)),))
    await apply_feeds_config(store, config, now=NOW, default_interval=EVERY)
    assert await origins(store) == {"https://c.example/": ("file", False)}
    # ... so that it leaves with the file.
    await apply_feeds_config(store, FeedsConfig(CATEGORIES, ()), now=NOW, default_interval=EVERY)
    assert await origins(store) == {"https://c.example/": ("file", True)}


async def test_feeds_add_on_a_file_feed_keeps_it_the_files_unless_it_turns_it_back_on(
    categorised_store: Store,
) -> None:
    store = categorised_store
    await store.upsert_feed("https://f.example/", ["climate"], now=NOW, interval=EVERY)
    await store.upsert_feed(
        "https://f.example/", ["markets"], now=NOW, interval=EVERY, origin="cli", enable=True
    )
    assert await origins(store) == {"https://f.example/": ("file", False)}
    # Left the file, then turned back on by hand: the next sync must not undo that.
    await store.disable_feeds_except([])
    await store.upsert_feed(
        "https://f.example/", ["markets"], now=NOW, interval=EVERY, origin="cli", enable=True
    )
    assert await origins(store) == {"https://f.example/": ("cli", False)}
    assert await store.disable_feeds_except([]) == []


async def test_the_bulk_add_leaves_known_feeds_as_they_are(categorised_store: Store) -> None:
    store = categorised_store
    await store.upsert_feed("https://k.example/", ["climate"], now=NOW, interval=EVERY, name="K")
    await store.disable_feeds_except([])
    added = await store.add_new_feeds(
        [("https://k.example/", "Other", ["markets"]), ("https://n.example/", None, ["markets"])],
        now=NOW,
        interval=EVERY,
        origin="import",
    )
    assert added == ["https://n.example/"]
    known = await store.get_feed("https://k.example/")
    assert known is not None
    assert (known.name, known.categories, known.disabled, known.origin) == (
        "K",
        ("climate",),
        True,
        "file",
    )


async def test_the_same_import_twice_at_once_adds_each_feed_once(
    categorised_store: Store,
) -> None:
    feeds = [(f"https://n{i}.example/", None, ["markets"]) for i in range(20)]
    results = await asyncio.gather(
        *(
            categorised_store.add_new_feeds(feeds, now=NOW, interval=EVERY, origin="import")
            for _ in range(3)
        )
    )
    assert sorted(url for added in results for url in added) == sorted(f[0] for f in feeds)
    assert len(await categorised_store.list_feeds()) == 20


async def test_the_bulk_add_with_an_unknown_category_adds_nothing(
    categorised_store: Store,
) -> None:
    with pytest.raises(NotFound, match="nope"):
        await categorised_store.add_new_feeds(
            [("https://a.example/", None, ["climate"]), ("https://b.example/", None, ["nope"])],
            now=NOW,
            interval=EVERY,
            origin="import",
        )
    assert await categorised_store.list_feeds() == []
