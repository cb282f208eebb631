"""``feeds sync`` disables the file's feeds that left it from a list read
before, one feed at a time, with an UPDATE that checks nothing. An editor who turns such a
feed back on in the console meanwhile (enable: the feed becomes the console's, which a
sync must leave alone) has it disabled again by the sync's stale list; one who disables
it by hand meanwhile has their reason overwritten by "removed from the feed list" (so
the feed comes back on its own when the file names it again)."""

from __future__ import annotations

from datetime import timedelta

from digests.feedsfile import apply_feeds_config, parse_feeds_text
from digests.store import Store
from tests.conftest import NOW
from tests.digests.test_feedsfile import GOOD

URL = "https://climate.example/feed"


async def test_a_feed_turned_on_in_the_console_during_a_sync_stays_on(store: Store) -> None:
    await apply_feeds_config(
        store, parse_feeds_text(GOOD), now=NOW, default_interval=timedelta(minutes=30)
    )
    feed = await store.get_feed(URL)
    assert feed is not None
    real = store._fetchall
    editor_done = False

    async def editor_meanwhile(sql, params=()):  # type: ignore[no-untyped-def]
        nonlocal editor_done
        rows = await real(sql, params)
        if "origin = 'file'" in sql and not editor_done:
            editor_done = True  # the console: disable, then enable (it is the console's now)
            assert await store.disable_feed_by_hand(feed.id, "by ed")
            assert await store.enable_feed(feed.id, now=NOW, origin="api")
        return rows

    store._fetchall = editor_meanwhile  # type: ignore[method-assign]
    without = GOOD.split(f'[[feeds]]\nurl = "{URL}"')[0]
    await apply_feeds_config(
        store, parse_feeds_text(without), now=NOW, default_interval=timedelta(minutes=30)
    )
    store._fetchall = real  # type: ignore[method-assign]
    after = await store.get_feed(URL)
    assert after is not None and editor_done
    assert not after.disabled, f"the sync disabled the console's feed ({after.disabled_reason})"
