"""Store part for looking after feeds one at a time, by id, as the web console does: every
feed with its article count in one query, and disable, enable and "poll now". (Part of
``CatalogStore``, which inherits it.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from digests.models import Feed
from digests.store._base import StoreBase
from digests.store._feed_rows import feed_from_row
from digests.timeutil import to_db


@dataclass(frozen=True)
class FeedHealth:
    """A feed and how many of its articles the store holds."""

    feed: Feed
    articles: int


class FeedHealthStore(StoreBase):
    async def feed_health(self) -> list[FeedHealth]:
        """Every feed (enabled or not) with its categories and its article count, in one
        query. The count walks the ``articles_scope_url`` index (a feed's articles are its
        scope ``feed:<id>``), never the articles themselves: about 0.1 s per million
        articles held on SQLite, bounded by retention."""
        rows = await self._fetchall(
            f"""SELECT f.*, (SELECT {self.dialect.group_concat("fc.category")}
                    FROM feed_categories fc WHERE fc.feed_id = f.id) AS cats,
                   (SELECT COUNT(*) FROM articles a
                    WHERE a.scope = 'feed:' || CAST(f.id AS TEXT)) AS article_count
                FROM feeds f ORDER BY f.id"""
        )
        return [FeedHealth(feed_from_row(r), int(r["article_count"])) for r in rows]

    async def feed_by_id(self, feed_id: int) -> Feed | None:
        """The feed with this id, or None when there is none."""
        row = await self._fetchone(
            f"""SELECT f.*, (SELECT {self.dialect.group_concat("fc.category")}
                    FROM feed_categories fc WHERE fc.feed_id = f.id) AS cats
                FROM feeds f WHERE f.id = ?""",
            (feed_id,),
        )
        return feed_from_row(row) if row is not None else None

    async def disable_feed_by_hand(self, feed_id: int, reason: str) -> bool:
        """Disable an enabled feed with ``reason`` (a person's choice, which neither a
        ``feeds sync`` nor a fetch undoes). False when there is no such enabled feed."""
        return await self._changed(
            "UPDATE feeds SET disabled = 1, disabled_reason = ? "
            "WHERE id = ? AND disabled = 0 RETURNING id",
            (reason, feed_id),
        )

    async def enable_feed(self, feed_id: int, *, now: datetime, origin: str) -> bool:
        """Enable a disabled feed, due at once, its error count cleared. Like an explicit
        ``feeds add`` of it, this makes the feed ``origin``'s, so that a ``feeds sync``
        does not disable again a feed a person just turned back on (see upsert_feed).
        False when there is no such disabled feed."""
        return await self._changed(
            """UPDATE feeds SET disabled = 0, disabled_reason = NULL, consecutive_errors = 0,
                   next_fetch_at = ?, origin = ?
               WHERE id = ? AND disabled = 1 RETURNING id""",
            (to_db(now), origin, feed_id),
        )

    async def poll_feed_now(self, feed_id: int, *, now: datetime) -> bool:
        """Make an enabled feed due now, so the next poll tick fetches it (a feed in its
        error backoff too). False when there is no such enabled feed."""
        return await self._changed(
            "UPDATE feeds SET next_fetch_at = ? WHERE id = ? AND disabled = 0 RETURNING id",
            (to_db(now), feed_id),
        )

    async def _changed(self, sql: str, params: tuple[object, ...]) -> bool:
        async with self._transaction() as db, db.execute(sql, params) as cursor:
            return await cursor.fetchone() is not None
