"""Store part for articles and the stories that group them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import aiosqlite

from digests.models import Article, IngestCounts, NewArticle, StoredArticleRef, StoryMember
from digests.store._base import StoreBase, chunks, placeholders
from digests.timeutil import from_db, to_db
from digests.urls import InvalidURL, canonical_url, legacy_url_key

_COMPARED = ("url", "title", "summary", "author", "image_url", "word_count")


def _canonical_or_same(url: object) -> object:
    """canonical_url for SQL: a value it refuses (none should be stored) is kept as it is."""
    if not isinstance(url, str):
        return url
    try:
        return canonical_url(url)
    except InvalidURL:
        return url


# How far the oldest story kept in memory may trail the window before it is pruned.
_PRUNE_AFTER = timedelta(hours=1)


class _RecentStories:
    """The members of recent stories, indexed by title-key token, as one connection last
    read them; kept up to date by that connection's own groupings.

    A batch is grouped against the stories that share at least one token with it (the
    clustering never joins an article to a story sharing none, and every story holding a
    token is included, so the result is the one the whole list would give), which keeps
    the cost of grouping a batch independent of how many stories are recent.
    """

    def __init__(self, version: int, since: datetime) -> None:
        self.version = version
        self.since = since
        self.last_seen: dict[int, str] = {}
        self.members: dict[int, list[StoryMember]] = {}
        self.by_token: dict[str, set[int]] = {}

    def add(self, member: StoryMember, last_seen: str) -> None:
        self.last_seen[member.story_id] = max(last_seen, self.last_seen.get(member.story_id, ""))
        self.members.setdefault(member.story_id, []).append(member)
        for token in member.title_key.split():
            self.by_token.setdefault(token, set()).add(member.story_id)

    def place(self, story_id: int, last_seen: str, articles: Sequence[StoredArticleRef]) -> None:
        for a in articles:
            self.add(StoryMember(story_id, a.id, a.scope, a.title_key), last_seen)

    def retitle(self, story_id: int, article_id: int, title_key: str) -> None:
        members = self.members.get(story_id)
        if members is None:
            return
        for i, member in enumerate(members):
            if member.article_id == article_id:
                members[i] = StoryMember(story_id, article_id, member.scope, title_key)
                # Old tokens may still point here: a story too many is harmless.
                for token in title_key.split():
                    self.by_token.setdefault(token, set()).add(story_id)

    def sharing_a_token(
        self, articles: Sequence[StoredArticleRef], since: datetime
    ) -> list[StoryMember]:
        """Members of stories seen since ``since`` sharing a token with ``articles``, in
        the order they entered the store."""
        floor = to_db(since)
        story_ids: set[int] = set()
        for a in articles:
            for token in a.title_key.split():
                story_ids.update(self.by_token.get(token, ()))
        found = [
            m
            for story_id in story_ids
            if self.last_seen.get(story_id, "") >= floor  # pruned: gone
            for m in self.members[story_id]
        ]
        found.sort(key=lambda m: m.article_id)
        return found

    def prune(self, since: datetime) -> None:
        floor = to_db(since)
        gone = {story_id for story_id, seen in self.last_seen.items() if seen < floor}
        for story_id in gone:
            del self.last_seen[story_id]
            for member in self.members.pop(story_id):
                for token in member.title_key.split():
                    holders = self.by_token.get(token)
                    if holders is not None:
                        holders.discard(story_id)
                        if not holders:
                            del self.by_token[token]
        self.since = since


def feed_scope(feed_id: int) -> str:
    """The namespace in which a feed's guids and URLs identify its articles."""
    return f"feed:{feed_id}"


def import_scope(source: str) -> str:
    """The namespace of articles a CMS pushes for one source name."""
    return f"import:{source.strip().casefold()}"


Grouper = Callable[
    [Sequence[StoredArticleRef], Sequence[StoryMember]],
    Sequence[tuple[int | None, Sequence[StoredArticleRef]]],
]


@dataclass(frozen=True)
class Grouping:
    """How articles are put into stories inside the transaction that stores them.

    ``grouper`` is a pure function (``digests.ingest.cluster.cluster_articles``) given the
    articles to place and the members of stories last seen at or after ``since``; it returns
    ``(story_id or None for a new story, articles)`` pairs. The store calls it without
    knowing how it decides, so the store never imports ingest.
    """

    grouper: Grouper
    since: datetime


class Ingested(NamedTuple):
    """What storing one batch did: the counts, the newly inserted articles, and how many
    new stories grouping them made (0 when no grouping was asked for)."""

    counts: IngestCounts
    created: list[StoredArticleRef]
    stories_new: int


class ArticleStore(StoreBase):
    # Members of recent stories as this connection last saw them (see _recent_stories);
    # dropped whenever a write to articles or stories might not be reflected in it.
    _recent: _RecentStories | None = None

    async def migrate(self) -> int:
        """Bring the schema up to date (``StoreBase.migrate``), with the SQL function
        ``digestbot_canonical_url`` that migrations recomputing stored URL keys call."""
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
        (``BEGIN IMMEDIATE``), so concurrent callers, in this process or another, take
        turns and the same record stored by many of them at once is one article; unique
        indexes on (scope, guid) and (scope, url) make a duplicate impossible regardless.
        A stored article of the batch that has no story yet (left by an older version) is
        grouped along with the new ones.
        """
        unique: dict[str, NewArticle] = {}
        for article in articles:
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
        counts = IngestCounts()
        created: list[StoredArticleRef] = []
        orphans: list[StoredArticleRef] = []
        stamp = to_db(now)
        updates: list[tuple[object, ...]] = []
        inserts: list[tuple[object, ...]] = []
        links: list[tuple[int, str]] = []
        by_guid, by_url = await self._existing(db, scope, batch)
        inserted: set[int] = set()
        next_id = await self._next_id(db, "articles")
        for article in batch:
            row = by_guid.get(article.guid) if article.guid else None
            row = row or by_url.get(article.url)
            if row is not None:
                if row["id"] in inserted or (
                    all(row[k] == getattr(article, k) for k in _COMPARED)
                    and row["title_key"] == article.title_key
                ):
                    # A second record of an article this batch inserted counts as a
                    # repeat, like an identical one.
                    counts += IngestCounts(unchanged=1)
                else:
                    # An edit may move the article to a URL another article of the
                    # scope holds; the two stay apart and this one keeps its URL.
                    holder = by_url.get(article.url)
                    url = article.url if holder is None or holder is row else row["url"]
                    by_url.pop(row["url"], None)
                    row = {**row, **{k: getattr(article, k) for k in _COMPARED}}
                    row.update(url=url, title_key=article.title_key)
                    row["guid"] = row["guid"] or article.guid
                    by_url[url] = row
                    if row["guid"]:
                        by_guid[row["guid"]] = row
                    updates.append(
                        (
                            url,
                            article.title,
                            article.title_key,
                            article.summary,
                            article.author,
                            article.image_url,
                            article.word_count,
                            stamp,
                            article.guid,
                            row["id"],
                        )
                    )
                    counts += IngestCounts(updated=1)
                    if row["story_id"] is not None and self._recent is not None:
                        self._recent.retitle(row["story_id"], row["id"], article.title_key)
                if row["story_id"] is None and row["id"] not in inserted:
                    orphans.append(
                        StoredArticleRef(
                            row["id"],
                            scope,
                            row["title"],
                            row["title_key"],
                            from_db(row["published_at"]),  # type: ignore[arg-type]
                        )
                    )
                continue
            published = article.published_at or now
            article_id = next_id
            next_id += 1
            inserted.add(article_id)
            fresh = {"id": article_id, "story_id": None, "guid": article.guid}
            by_url[article.url] = fresh
            if article.guid:
                by_guid[article.guid] = fresh
            inserts.append(
                (
                    article_id,
                    scope,
                    feed_id,
                    article.guid,
                    article.url,
                    article.title,
                    article.title_key,
                    article.summary,
                    article.source,
                    article.author,
                    article.image_url,
                    article.word_count,
                    to_db(published),
                    int(article.date_known),
                    stamp,
                    stamp,
                )
            )
            links.extend((article_id, c) for c in dict.fromkeys(categories))
            counts += IngestCounts(new=1)
            created.append(
                StoredArticleRef(article_id, scope, article.title, article.title_key, published)
            )
        # Whole batches in three statements: a feed of fifty items is three round trips
        # to the database thread, not a hundred.
        await db.executemany(
            """UPDATE articles SET url = ?, title = ?, title_key = ?, summary = ?,
                   author = ?, image_url = ?, word_count = ?, updated_at = ?,
                   guid = COALESCE(guid, ?)
               WHERE id = ?""",
            updates,
        )
        await db.executemany(
            """INSERT INTO articles (id, scope, feed_id, guid, url, title, title_key,
                   summary, source, author, image_url, word_count, published_at,
                   date_known, fetched_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            inserts,
        )
        await db.executemany(
            "INSERT INTO article_categories (article_id, category) VALUES (?, ?)", links
        )
        stories_new = 0
        if grouping is not None and (created or orphans):
            stories_new = await self._group(db, [*orphans, *created], grouping, now=now)
        return Ingested(counts, created, stories_new)

    async def _existing(
        self, db: aiosqlite.Connection, scope: str, batch: Sequence[NewArticle]
    ) -> tuple[dict[str, dict], dict[str, dict]]:
        """The stored articles of ``scope`` that share a guid or a URL with the batch."""
        by_guid: dict[str, dict] = {}
        by_url: dict[str, dict] = {}
        columns = "id, guid, title_key, story_id, published_at, " + ", ".join(_COMPARED)
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

    # --- stories ----------------------------------------------------------------------

    async def group_orphans(self, grouping: Grouping, *, now: datetime) -> tuple[int, int]:
        """Put every article that has no story into one, in one transaction (articles left
        ungrouped by a crash or a full disk in an older version, or stored without
        grouping). Returns (articles grouped, new stories)."""
        if await self.first_unclustered_id() is None:
            return 0, 0
        try:
            return await self._group_orphans(grouping, now=now)
        except BaseException:
            self._recent = None  # it may hold what was rolled back
            raise

    async def _group_orphans(self, grouping: Grouping, *, now: datetime) -> tuple[int, int]:
        async with self._transaction() as db:
            async with db.execute(
                "SELECT id, scope, title, title_key, published_at FROM articles "
                "WHERE story_id IS NULL ORDER BY id"
            ) as cursor:
                orphans = [
                    StoredArticleRef(r[0], r[1], r[2], r[3], from_db(r[4]))  # type: ignore[arg-type]
                    for r in await cursor.fetchall()
                ]
            if not orphans:
                return 0, 0
            return len(orphans), await self._group(db, orphans, grouping, now=now)

    async def _group(
        self,
        db: aiosqlite.Connection,
        articles: Sequence[StoredArticleRef],
        grouping: Grouping,
        *,
        now: datetime,
    ) -> int:
        """Inside a write transaction: group ``articles`` against recent stories; return
        how many new stories that made."""
        recent = await self._recent_stories(db, grouping.since)
        groups = grouping.grouper(articles, recent.sharing_a_token(articles, grouping.since))
        story_ids = await self._assign(db, groups, now=now)
        for story_id, (_, placed) in zip(story_ids, groups, strict=True):
            if placed:
                newest = to_db(max(max(m.published_at for m in placed), now))
                recent.place(story_id, newest, placed)
        return sum(1 for story_id, placed in groups if story_id is None and placed)

    async def _recent_stories(self, db: aiosqlite.Connection, since: datetime) -> _RecentStories:
        """The members of stories seen since ``since``, from memory when nothing but this
        connection wrote since they were read (``PRAGMA data_version`` tells), else read
        again. Only call it inside a write transaction."""
        async with db.execute("PRAGMA data_version") as cursor:
            row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        recent = self._recent
        if recent is None or recent.version != version or since < recent.since:
            recent = _RecentStories(version, since)
            async with db.execute(
                """SELECT a.story_id, a.id, a.scope, a.title_key, s.last_seen_at FROM stories s
                   JOIN articles a ON a.story_id = s.id
                   WHERE s.last_seen_at >= ? ORDER BY a.id""",
                (to_db(since),),
            ) as cursor:
                for r in await cursor.fetchall():
                    recent.add(StoryMember(r[0], r[1], r[2], r[3]), r[4])
            self._recent = recent
        elif since - recent.since > _PRUNE_AFTER:
            recent.prune(since)
        return recent

    async def recent_story_members(self, since: datetime) -> list[StoryMember]:
        """Articles of stories seen since ``since``: what new articles are clustered against."""
        rows = await self._fetchall(
            """SELECT a.story_id, a.id, a.scope, a.title_key FROM stories s
               JOIN articles a ON a.story_id = s.id
               WHERE s.last_seen_at >= ? ORDER BY a.id""",
            (to_db(since),),
        )
        return [StoryMember(r[0], r[1], r[2], r[3]) for r in rows]

    async def assign_stories(
        self,
        assignments: Sequence[tuple[int | None, Sequence[StoredArticleRef]]],
        *,
        now: datetime,
    ) -> list[int]:
        """Attach articles to stories; a ``None`` story id makes a new story of them.

        Returns the story id of each assignment, in order.
        """
        self._recent = None
        async with self._transaction() as db:
            return await self._assign(db, assignments, now=now)

    async def _assign(
        self,
        db: aiosqlite.Connection,
        assignments: Sequence[tuple[int | None, Sequence[StoredArticleRef]]],
        *,
        now: datetime,
    ) -> list[int]:
        story_ids: list[int] = []
        new_stories: list[tuple[object, ...]] = []
        touched: list[tuple[object, ...]] = []
        members_of: list[tuple[int, int]] = []
        next_id = await self._next_id(db, "stories")
        for story_id, members in assignments:
            if not members:
                story_ids.append(story_id or 0)
                continue
            newest = to_db(max(max(m.published_at for m in members), now))
            if story_id is None:
                first = min(members, key=lambda m: (m.published_at, m.id))
                story_id = next_id
                next_id += 1
                new_stories.append((story_id, first.title, to_db(first.published_at), newest))
            else:
                touched.append((newest, story_id))
            members_of.extend((story_id, m.id) for m in members)
            story_ids.append(story_id)
        await db.executemany(
            "INSERT INTO stories (id, title, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)",
            new_stories,
        )
        await db.executemany(
            "UPDATE stories SET last_seen_at = MAX(last_seen_at, ?) WHERE id = ?", touched
        )
        await db.executemany("UPDATE articles SET story_id = ? WHERE id = ?", members_of)
        return story_ids

    # --- reading for digests ----------------------------------------------------------

    async def candidate_articles(
        self, *, published_since: datetime, categories: Sequence[str] | None = None
    ) -> list[Article]:
        """Dated, clustered articles published since the given instant, with their categories
        and their feed's priority; the input of digest assembly."""
        where = "a.published_at >= ? AND a.date_known = 1 AND a.story_id IS NOT NULL"
        params: list[object] = [to_db(published_since)]
        if categories is not None:
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
        rows = await self._fetchall(
            f"""SELECT a.id, a.feed_id, a.url, a.title, a.summary, a.source, a.author,
                       a.image_url, a.word_count, a.published_at, a.fetched_at, a.story_id,
                       COALESCE(f.priority, 0) AS priority,
                       group_concat(ac.category, ',') AS cats
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
            )
            for r in rows
        ]

    async def first_unclustered_id(self) -> int | None:
        """The lowest id of an article not yet in a story, or None when all are."""
        row = await self._fetchone("SELECT MIN(id) FROM articles WHERE story_id IS NULL")
        return int(row[0]) if row and row[0] is not None else None

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
            return cursor.rowcount
