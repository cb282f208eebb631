"""Store part for categories and feeds (what is read, and from where)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import aiosqlite

from digests.models import Category, Feed
from digests.store._base import NotFound, chunks, placeholders
from digests.store._feed_health import FeedHealthStore
from digests.store._feed_rows import feed_from_row
from digests.timeutil import from_db, to_db

REMOVED_REASON = "removed from the feed list"


class CatalogStore(FeedHealthStore):
    """Categories and feeds; the console's per-feed reads and writes are inherited from
    ``_feed_health``."""

    # --- categories -------------------------------------------------------------------

    async def upsert_category(self, category: Category) -> None:
        """Add or update a category; a retired one comes back, with its subscriptions."""
        async with self._transaction() as db:
            await db.execute(
                """INSERT INTO categories (slug, name, description, position) VALUES (?, ?, ?, ?)
                   ON CONFLICT (slug) DO UPDATE SET name = excluded.name,
                       description = excluded.description, position = excluded.position,
                       retired_at = NULL""",
                (category.slug, category.name, category.description, category.position),
            )

    async def list_categories(self, *, retired: bool = False) -> list[Category]:
        """The live categories, what readers may see and choose; with ``retired=True`` the
        retired ones too (they carry ``retired_at``)."""
        rows = await self._fetchall(
            "SELECT slug, name, description, position, retired_at FROM categories "
            + ("" if retired else "WHERE retired_at IS NULL ")
            + "ORDER BY position, slug"
        )
        return [
            Category(
                r["slug"], r["name"], r["description"], r["position"], from_db(r["retired_at"])
            )
            for r in rows
        ]

    async def require_categories(self, slugs: Sequence[str]) -> None:
        """Raise NotFound naming every slug that is not a live category."""
        known = {c.slug for c in await self.list_categories()}
        missing = [s for s in slugs if s not in known]
        if missing:
            raise NotFound(f"unknown category: {', '.join(missing)}")

    async def retire_categories_except(
        self, slugs: Sequence[str], *, now: datetime
    ) -> dict[str, int]:
        """Retire every live category not in ``slugs`` (it left the feeds file): readers
        no longer see it and its subscriptions lie dormant until it returns. Returns each
        retired slug with how many subscribers it had, in one transaction."""
        keep = set(slugs)
        async with self._transaction() as db:
            async with db.execute(
                """SELECT c.slug, (SELECT COUNT(*) FROM subscriptions s
                       WHERE s.category = c.slug)
                   FROM categories c WHERE c.retired_at IS NULL ORDER BY c.position, c.slug"""
            ) as cursor:
                gone = {r[0]: int(r[1]) for r in await cursor.fetchall() if r[0] not in keep}
            await db.executemany(
                "UPDATE categories SET retired_at = ? WHERE slug = ?",
                [(to_db(now), slug) for slug in gone],
            )
        return gone

    async def category_subscribers(self, slugs: Sequence[str]) -> dict[str, int]:
        """How many subscribers each of these categories has (dormant ones included)."""
        if not slugs:
            return {}  # ``IN ()`` is an error on PostgreSQL
        rows = await self._fetchall(
            f"SELECT category, COUNT(*) FROM subscriptions WHERE category IN "
            f"({placeholders(slugs)}) GROUP BY category",
            list(slugs),
        )
        return {r[0]: int(r[1]) for r in rows}

    # --- feeds ----------------------------------------------------------------------

    async def upsert_feed(
        self,
        url: str,
        categories: Sequence[str],
        *,
        now: datetime,
        name: str | None = None,
        interval: timedelta,
        priority: int = 0,
        enable: bool = False,
        origin: str = "file",
    ) -> Feed:
        """Add a feed or update its settings; its categories become exactly ``categories``.

        A feed disabled because it left the feed list comes back on its own; one disabled
        for errors comes back only with ``enable=True`` (an operator's explicit add).
        ``origin`` says who added it ('file', 'cli', 'import', 'api'), which decides who
        may disable it: the feeds file claims every feed it names, and an explicit
        ``enable=True`` of a disabled feed makes it the enabler's (so that ``feeds sync``
        does not disable again a feed the operator just turned back on).
        Raises NotFound when a category does not exist.
        """
        await self.require_categories(categories)
        async with self._transaction() as db:
            await db.execute(
                """INSERT INTO feeds
                       (url, name, interval_s, priority, next_fetch_at, created_at, origin)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (url) DO UPDATE SET name = excluded.name,
                       interval_s = excluded.interval_s, priority = excluded.priority,
                       origin = CASE WHEN excluded.origin = 'file'
                           OR (feeds.disabled = 1 AND CAST(? AS INTEGER) = 1)
                           THEN excluded.origin ELSE feeds.origin END""",
                (
                    url,
                    name,
                    int(interval.total_seconds()),
                    priority,
                    to_db(now),
                    to_db(now),
                    origin,
                    int(enable),
                ),
            )
            row = await (await db.execute("SELECT id FROM feeds WHERE url = ?", (url,))).fetchone()
            assert row is not None
            feed_id = int(row[0])
            await db.execute(
                """UPDATE feeds SET disabled = 0, disabled_reason = NULL, consecutive_errors = 0,
                       next_fetch_at = ? WHERE id = ? AND disabled = 1
                       AND (disabled_reason = ? OR CAST(? AS INTEGER) = 1)""",
                (to_db(now), feed_id, REMOVED_REASON, int(enable)),
            )
            await db.execute("DELETE FROM feed_categories WHERE feed_id = ?", (feed_id,))
            await db.executemany(
                "INSERT INTO feed_categories (feed_id, category) VALUES (?, ?)",
                [(feed_id, c) for c in dict.fromkeys(categories)],
            )
        feed = await self.get_feed(url)
        assert feed is not None
        return feed

    async def add_new_feeds(
        self,
        feeds: Sequence[tuple[str, str | None, Sequence[str]]],
        *,
        now: datetime,
        interval: timedelta,
        origin: str,
    ) -> list[str]:
        """Add each (url, name, categories) that is not a feed yet, in one transaction;
        a known URL is left exactly as it is. Returns the URLs added. Raises NotFound when
        a category does not exist (then nothing is added). Pass at most a few hundred
        feeds per call (their URLs are the parameters of one query)."""
        await self.require_categories(sorted({c for _, _, cats in feeds for c in cats}))
        if not feeds:
            return []
        async with self._transaction() as db:
            # BEGIN IMMEDIATE: no other writer until COMMIT, so what is not known now is
            # new. Three round trips in all, whatever the number of feeds.
            urls = [url for url, _, _ in feeds]
            async with db.execute(
                f"SELECT url FROM feeds WHERE url IN ({placeholders(urls)})", urls
            ) as cursor:
                known = {row[0] for row in await cursor.fetchall()}
            new = {url: (name, cats) for url, name, cats in feeds if url not in known}
            await db.executemany(
                """INSERT INTO feeds
                       (url, name, interval_s, priority, next_fetch_at, created_at, origin)
                   VALUES (?, ?, ?, 0, ?, ?, ?) ON CONFLICT (url) DO NOTHING""",
                [
                    (url, name, int(interval.total_seconds()), to_db(now), to_db(now), origin)
                    for url, (name, _) in new.items()
                ],
            )
            await db.executemany(
                """INSERT INTO feed_categories (feed_id, category)
                   SELECT id, ? FROM feeds WHERE url = ?""",
                [(c, url) for url, (_, cats) in new.items() for c in dict.fromkeys(cats)],
            )
        return list(new)

    async def get_feed(self, url: str) -> Feed | None:
        """Return the feed with this URL, or None when there is none."""
        feeds = await self._select_feeds(self._read_connection(), "WHERE f.url = ?", (url,))
        return feeds[0] if feeds else None

    async def list_feeds(self) -> list[Feed]:
        return await self._select_feeds(self._read_connection(), "", ())

    async def due_feeds(
        self,
        now: datetime,
        *,
        holder: str = "",
        claim: timedelta | None = None,
        limit: int | None = None,
    ) -> list[Feed]:
        """Enabled feeds whose next fetch time has come (or was never set).

        With ``claim``, the feeds are also claimed for ``holder`` until ``now + claim``, in
        the same write transaction: a feed another holder claimed and whose claim is still
        live is left out, so that several processes asking at once share the due feeds
        and none is fetched twice. The holder's own claims on due feeds are renewed (and
        returned) whatever ``limit`` says; ``limit`` bounds how many others it takes, the
        longest due first, so that a process claims no more than it can fetch and the
        rest stay for the others. Release each with ``release_feed_claim`` once its
        fetch is recorded.
        """
        due = "f.disabled = 0 AND (f.next_fetch_at IS NULL OR f.next_fetch_at <= ?)"
        if claim is None:
            return await self._select_feeds(self._read_connection(), f"WHERE {due}", (to_db(now),))
        stamp = to_db(now)
        take = f"""SELECT f.id FROM feeds f WHERE {due}
                   AND (f.claimed_by IS NULL OR f.claim_until IS NULL OR f.claim_until <= ?)"""
        params: list[object] = [holder, to_db(now + claim), stamp, holder, stamp, stamp]
        if limit is not None:
            take += " ORDER BY COALESCE(f.next_fetch_at, ''), f.id LIMIT ?"
            params.append(max(0, limit))
        # Most ticks find nothing due: a read says so without taking the write lock,
        # which every process's writes share.
        if not await self._fetchone(
            f"""SELECT 1 FROM feeds f WHERE {due} AND (f.claimed_by = ? OR f.claimed_by IS NULL
                   OR f.claim_until IS NULL OR f.claim_until <= ?) LIMIT 1""",
            (stamp, holder, stamp),
        ):
            return []
        async with self._transaction() as db:
            # One UPDATE decides and claims: writes take turns (BEGIN IMMEDIATE on SQLite,
            # the write lock on PostgreSQL), so no other holder claims in between.
            async with db.execute(
                f"""UPDATE feeds SET claimed_by = ?, claim_until = ?
                    WHERE id IN (SELECT f.id FROM feeds f WHERE {due} AND f.claimed_by = ?)
                       OR id IN ({take})
                    RETURNING id""",
                params,
            ) as cursor:
                ids = sorted(int(r[0]) for r in await cursor.fetchall())
            feeds: list[Feed] = []
            for part in chunks(ids):
                feeds += await self._select_feeds(db, f"WHERE f.id IN ({placeholders(part)})", part)
            return feeds

    async def release_feed_claim(self, feed_id: int, holder: str) -> None:
        """Give up ``holder``'s claim on a feed (its fetch is done, or was given up); a
        claim another holder took over in the meantime is left alone."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE feeds SET claimed_by = NULL, claim_until = NULL "
                "WHERE id = ? AND claimed_by = ?",
                (feed_id, holder),
            )

    async def disable_feed(self, feed_id: int, reason: str) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE feeds SET disabled = 1, disabled_reason = ? WHERE id = ?",
                (reason, feed_id),
            )

    async def disable_feeds_except(self, urls: Sequence[str]) -> list[str]:
        """Disable every enabled feed from the feeds file not in ``urls`` (they left it);
        return them. Feeds added by the command line, an import or the API are not the
        file's to disable."""
        rows = await self._fetchall(
            "SELECT id, url FROM feeds WHERE disabled = 0 AND origin = 'file'"
        )
        keep = set(urls)
        gone = []
        for row in rows:
            if row["url"] in keep:
                continue
            # Checked again as it is written: the console (or an API call) may have made
            # the feed its own, or disabled it by hand, since the list was read.
            async with (
                self._transaction() as db,
                db.execute(
                    "UPDATE feeds SET disabled = 1, disabled_reason = ? "
                    "WHERE id = ? AND disabled = 0 AND origin = 'file' RETURNING url",
                    (REMOVED_REASON, int(row["id"])),
                ) as cursor,
            ):
                if await cursor.fetchone() is not None:
                    gone.append(row["url"])
        return gone

    async def remove_feed(self, url: str) -> Feed:
        """Stop fetching a feed; its articles stay. Raises NotFound for an unknown URL."""
        feed = await self.get_feed(url)
        if feed is None:
            raise NotFound(f"no feed with URL {url}")
        await self.disable_feed(feed.id, REMOVED_REASON)
        return feed

    async def record_fetch_success(
        self,
        feed_id: int,
        *,
        now: datetime,
        next_fetch_at: datetime,
        etag: str | None,
        last_modified: str | None,
        title: str | None,
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                """UPDATE feeds SET etag = ?, last_modified = ?, title = COALESCE(?, title),
                       consecutive_errors = 0, last_fetched_at = ?, next_fetch_at = ?
                   WHERE id = ?""",
                (etag, last_modified, title, to_db(now), to_db(next_fetch_at), feed_id),
            )

    async def record_fetch_failure(
        self,
        feed_id: int,
        *,
        now: datetime,
        error: str,
        next_fetch_at: datetime,
        disable_reason: str | None,
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                """UPDATE feeds SET consecutive_errors = consecutive_errors + 1, last_error = ?,
                       last_error_at = ?, next_fetch_at = ?,
                       disabled = CASE WHEN CAST(? AS TEXT) IS NULL THEN disabled ELSE 1 END,
                       disabled_reason = COALESCE(?, disabled_reason)
                   WHERE id = ?""",
                (
                    # A parse error may quote the document, NULs included: PostgreSQL
                    # cannot store one.
                    error.replace("\x00", "")[:500],
                    to_db(now),
                    to_db(next_fetch_at),
                    disable_reason,
                    disable_reason,
                    feed_id,
                ),
            )

    async def _select_feeds(
        self, db: aiosqlite.Connection, where: str, params: Sequence[object]
    ) -> list[Feed]:
        """Feeds with their categories (sorted in Python: the aggregate's order is not
        defined on either engine)."""
        async with db.execute(
            f"""SELECT f.*, (SELECT {self.dialect.group_concat("fc.category")}
                    FROM feed_categories fc WHERE fc.feed_id = f.id) AS cats
                FROM feeds f {where} ORDER BY f.id""",
            params,
        ) as cursor:
            return [feed_from_row(r) for r in await cursor.fetchall()]

    async def feed_categories(self, feed_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        if not feed_ids:
            return {}  # ``IN ()`` is an error on PostgreSQL
        rows = await self._fetchall(
            f"SELECT feed_id, category FROM feed_categories WHERE feed_id IN "
            f"({placeholders(feed_ids)}) ORDER BY category",
            list(feed_ids),
        )
        result: dict[int, tuple[str, ...]] = {}
        for row in rows:
            result[row["feed_id"]] = (*result.get(row["feed_id"], ()), row["category"])
        return result
