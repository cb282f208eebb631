"""Store part for articles: storing a batch of one scope (and grouping it, with
``_stories``), and reading articles for digests."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import aiosqlite

from digests.models import Article, IngestCounts, NewArticle, StoredArticleRef
from digests.store._base import chunks, placeholders
from digests.store._batch import COMPARED, BatchPlan
from digests.store._stories import Grouping, StoryStore
from digests.timeutil import from_db, to_db
from digests.urls import InvalidURL, canonical_url, legacy_url_key


def _canonical_or_same(url: object) -> object:
    """canonical_url for SQL: a value it refuses (none should be stored) is kept as it is."""
    if not isinstance(url, str):
        return url
    try:
        return canonical_url(url)
    except InvalidURL:
        return url


# The text fields of an article. A NUL character in one (a feed's item may carry it in
# its guid, as ``&#0;`` or ``\u0000``) cannot be stored on PostgreSQL, and would fail
# the whole batch there while SQLite keeps it; the store removes it on both engines.
_TEXT_FIELDS = ("url", "title", "summary", "source", "guid", "author", "image_url", "title_key")


def _without_nul(article: NewArticle) -> NewArticle:
    """``article`` with every NUL character removed from its text (itself when none)."""
    changed = {
        name: value.replace("\x00", "")
        for name in _TEXT_FIELDS
        if isinstance(value := getattr(article, name), str) and "\x00" in value
    }
    for name in ("guid", "author", "image_url"):
        if changed.get(name) == "":
            changed[name] = None  # nothing but NULs: as if none was given
    return dataclasses.replace(article, **changed) if changed else article


def feed_scope(feed_id: int) -> str:
    """The namespace in which a feed's guids and URLs identify its articles."""
    return f"feed:{feed_id}"


def import_scope(source: str) -> str:
    """The namespace of articles a CMS pushes for one source name."""
    return f"import:{source.strip().casefold()}"


class Ingested(NamedTuple):
    """What storing one batch did: the counts, the newly inserted articles, and how many
    new stories grouping them made (0 when no grouping was asked for)."""

    counts: IngestCounts
    created: list[StoredArticleRef]
    stories_new: int


class ArticleStore(StoryStore):
    async def migrate(self) -> int:
        """Bring the schema up to date (``StoreBase.migrate``), with the SQL function
        ``digestbot_canonical_url`` that migrations recomputing stored URL keys call."""
        if not self.dialect.postgres:
            await self._db.create_function(
                "digestbot_canonical_url", 1, _canonical_or_same, deterministic=True
            )
        return await super().migrate()

    async def ingest_articles(
        self,
        scope: str,
        articles: Sequence[NewArticle],
        categories: Sequence[str],
        *,
        now: datetime,
        feed_id: int | None = None,
    ) -> tuple[IngestCounts, list[StoredArticleRef]]:
        """``store_articles`` without grouping: the articles stay out of digests until
        grouped (``group_orphans``). For tests and tools; everything that serves readers
        stores and groups in one go (``digests.ingest.stories.store_and_group``)."""
        done = await self.store_articles(
            scope, articles, categories, now=now, feed_id=feed_id, grouping=None
        )
        return done.counts, done.created

    async def store_articles(
        self,
        scope: str,
        articles: Sequence[NewArticle],
        categories: Sequence[str],
        *,
        now: datetime,
        grouping: Grouping | None,
        feed_id: int | None = None,
    ) -> Ingested:
        """Insert new articles and update edited ones of one scope, and (with ``grouping``)
        put them into stories, all in one write transaction: either everything is stored
        and grouped, or nothing is.

        The same guid, or else the same canonical URL, within ``scope`` is one article: a
        repeat with changed text updates it in place (keeping its id and story), an identical
        repeat is left alone. Existing articles are looked up inside the write transaction
        (``BEGIN IMMEDIATE`` on SQLite, the write lock on PostgreSQL), so concurrent
        callers, in this process or another, take
        turns and the same record stored by many of them at once is one article; unique
        indexes on (scope, guid) and (scope, url) make a duplicate impossible regardless.
        A stored article of the batch that has no story yet (left by an older version) is
        grouped along with the new ones. NUL characters are removed from the articles' text
        (PostgreSQL cannot store them), on both engines alike.
        """
        unique: dict[str, NewArticle] = {}
        for article in map(_without_nul, articles):
            unique.setdefault(article.guid or article.url, article)
        batch = list(unique.values())
        try:
            async with self._transaction() as db:
                return await self._store(
                    db, scope, batch, categories, now=now, grouping=grouping, feed_id=feed_id
                )
        except BaseException:
            self._recent = None  # it may hold what was rolled back
            raise

    async def _store(
        self,
        db: aiosqlite.Connection,
        scope: str,
        batch: Sequence[NewArticle],
        categories: Sequence[str],
        *,
        now: datetime,
        grouping: Grouping | None,
        feed_id: int | None,
    ) -> Ingested:
        by_guid, by_url = await self._existing(db, scope, batch)
        plan = BatchPlan(
            scope,
            categories,
            feed_id=feed_id,
            now=now,
            next_id=await self._next_id(db, "articles"),
            by_guid=by_guid,
            by_url=by_url,
            recent=self._recent,
        )
        for article in batch:
            plan.add(article)
        # Whole batches in three statements: a feed of fifty items is three round trips
        # to the database thread, not a hundred.
        await db.executemany(
            """UPDATE articles SET url = ?, title = ?, title_key = ?, summary = ?,
                   author = ?, image_url = ?, word_count = ?, updated_at = ?,
                   guid = COALESCE(guid, ?), language = COALESCE(?, language)
               WHERE id = ?""",
            plan.updates,
        )
        # Articles stored before languages were (schema 11), or whose language tag was
        # corrected, learn it when seen again; that is no edit (not counted, not re-grouped).
        if plan.languages:
            await db.executemany(
                "UPDATE articles SET language = ? WHERE id = ?",
                plan.languages,
            )
        await db.executemany(
            """INSERT INTO articles (id, scope, feed_id, guid, url, title, title_key,
                   summary, source, author, image_url, word_count, published_at,
                   date_known, fetched_at, updated_at, language)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            plan.inserts,
        )
        await db.executemany(
            "INSERT INTO article_categories (article_id, category) VALUES (?, ?)", plan.links
        )
        stories_new = 0
        grouped = grouping is not None and bool(plan.created or plan.orphans)
        if grouping is not None and grouped:
            stories_new = await self._group(db, [*plan.orphans, *plan.created], grouping, now=now)
        if plan.updates or plan.inserts or grouped:
            await self._stories_written(db)
        return Ingested(plan.counts, plan.created, stories_new)

    async def _existing(
        self, db: aiosqlite.Connection, scope: str, batch: Sequence[NewArticle]
    ) -> tuple[dict[str, dict], dict[str, dict]]:
        """The stored articles of ``scope`` that share a guid or a URL with the batch."""
        by_guid: dict[str, dict] = {}
        by_url: dict[str, dict] = {}
        columns = "id, guid, title_key, story_id, published_at, language, " + ", ".join(COMPARED)
        guids = [a.guid for a in batch if a.guid]
        urls = [a.url for a in batch]
        for part in chunks(guids):
            async with db.execute(
                f"SELECT {columns} FROM articles WHERE scope = ? AND guid IN "
                f"({placeholders(part)})",
                [scope, *part],
            ) as cursor:
                for row in await cursor.fetchall():
                    found = dict(row)
                    by_guid[found["guid"]] = found
                    by_url.setdefault(found["url"], found)
        # Articles stored before schema 5 may hold the old spelling of a URL's query.
        legacy = {a.url: legacy_url_key(a.url) for a in batch}
        urls = list(dict.fromkeys([*urls, *legacy.values()]))
        stored: dict[str, dict] = {}
        for part in chunks(urls):
            async with db.execute(
                f"SELECT {columns} FROM articles WHERE scope = ? AND url IN ({placeholders(part)})",
                [scope, *part],
            ) as cursor:
                for row in await cursor.fetchall():
                    found = dict(row)
                    # One row per article: a row found by guid is the same dict here.
                    if found["guid"] and found["guid"] in by_guid:
                        found = by_guid[found["guid"]]
                    stored[found["url"]] = found
        for url, old in legacy.items():
            row = by_url.get(url) or stored.get(url) or stored.get(old)
            if row is not None:
                by_url[url] = row
        return by_guid, by_url

    # --- reading for digests ----------------------------------------------------------

    async def candidate_articles(
        self, *, published_since: datetime, categories: Sequence[str] | None = None
    ) -> list[Article]:
        """Dated, clustered articles published since the given instant, with their categories
        and their feed's priority; the input of digest assembly."""
        where = "a.published_at >= ? AND a.date_known = 1 AND a.story_id IS NOT NULL"
        params: list[object] = [to_db(published_since)]
        if categories is not None:
            if not categories:
                return []  # ``IN ()`` is an error on PostgreSQL
            where += f" AND ac.category IN ({placeholders(categories)})"
            params.extend(categories)
        return await self._select_articles(where, params)

    async def get_article(self, article_id: int) -> Article | None:
        """A grouped article by id, or None when there is none (or it is not in a story)."""
        found = await self._select_articles("a.id = ? AND a.story_id IS NOT NULL", [article_id])
        return found[0] if found else None

    async def find_article_by_url(self, url: str) -> Article | None:
        """The first grouped article with this canonical URL, in any feed or source."""
        found = await self._select_articles("a.url = ? AND a.story_id IS NOT NULL", [url])
        return found[0] if found else None

    async def articles_of_story(self, story_id: int) -> list[Article]:
        return await self._select_articles("a.story_id = ?", [story_id])

    async def _select_articles(self, where: str, params: Sequence[object]) -> list[Article]:
        # An article has one feed: MAX only makes its priority an aggregate, as PostgreSQL
        # asks of a column outside GROUP BY (grouping by a.id alone keeps SQLite's plan).
        rows = await self._fetchall(
            f"""SELECT a.id, a.feed_id, a.url, a.title, a.summary, a.source, a.author,
                       a.image_url, a.word_count, a.published_at, a.fetched_at, a.story_id,
                       a.language,
                       MAX(COALESCE(f.priority, 0)) AS priority,
                       {self.dialect.group_concat("ac.category")} AS cats
                FROM articles a
                JOIN article_categories ac ON ac.article_id = a.id
                LEFT JOIN feeds f ON f.id = a.feed_id
                WHERE {where}
                GROUP BY a.id ORDER BY a.id""",
            params,
        )
        return [
            Article(
                id=r["id"],
                feed_id=r["feed_id"],
                url=r["url"],
                title=r["title"],
                summary=r["summary"],
                source=r["source"],
                categories=tuple(sorted(r["cats"].split(","))),
                published_at=from_db(r["published_at"]),  # type: ignore[arg-type]
                fetched_at=from_db(r["fetched_at"]),  # type: ignore[arg-type]
                story_id=r["story_id"],
                priority=r["priority"],
                author=r["author"],
                image_url=r["image_url"],
                word_count=r["word_count"],
                language=r["language"],
            )
            for r in rows
        ]

    async def latest_article_id(self) -> int:
        row = await self._fetchone("SELECT COALESCE(MAX(id), 0) FROM articles")
        return int(row[0]) if row else 0

    async def delete_articles_before(self, cutoff: datetime) -> int:
        """Retention: delete articles published before ``cutoff`` and stories left empty."""
        self._recent = None
        async with self._transaction() as db:
            cursor = await db.execute(
                "DELETE FROM articles WHERE published_at < ?", (to_db(cutoff),)
            )
            await db.execute(
                "DELETE FROM stories WHERE id NOT IN "
                "(SELECT story_id FROM articles WHERE story_id IS NOT NULL)"
            )
            await self._stories_written(db)
            return cursor.rowcount
