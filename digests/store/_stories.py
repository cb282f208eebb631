"""Store part for stories: grouping articles into them, inside the write transaction that
stores the articles or afterwards for articles left without one (an editor's splits and
merges in ``_story_edits``, the console's list in ``_story_list``)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from digests.models import StoredArticleRef, StoryMember
from digests.store._recent import PRUNE_AFTER, RecentStories
from digests.store._story_edits import StoryEditStore
from digests.store._story_list import StoryListStore
from digests.timeutil import from_db, to_db

# The ``meta`` row whose value changes with every write of articles or stories on
# PostgreSQL (see ``StoryStore._version``).
STORIES_VERSION_KEY = "stories_version"

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


class StoryStore(StoryEditStore, StoryListStore):
    # An editor's splits and merges are in _story_edits, the console's listing in
    # _story_list; both drop _recent and call _stories_written like grouping does.
    # Members of recent stories as this connection last saw them (see _recent_stories);
    # dropped whenever a write to articles or stories might not be reflected in it.
    _recent: RecentStories | None = None

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
            stories_new = await self._group(db, orphans, grouping, now=now)
            await self._stories_written(db)
            return len(orphans), stories_new

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

    async def _recent_stories(self, db: aiosqlite.Connection, since: datetime) -> RecentStories:
        """The members of stories seen since ``since``, from memory when nothing but this
        store wrote articles or stories since they were read (``_version`` tells), else
        read again. Only call it inside a write transaction."""
        version = await self._version(db)
        recent = self._recent
        if recent is None or recent.version != version or since < recent.since:
            recent = RecentStories(version, since)
            async with db.execute(
                """SELECT a.story_id, a.id, a.scope, a.title_key, s.last_seen_at FROM stories s
                   JOIN articles a ON a.story_id = s.id
                   WHERE s.last_seen_at >= ? ORDER BY a.id""",
                (to_db(since),),
            ) as cursor:
                for r in await cursor.fetchall():
                    recent.add(StoryMember(r[0], r[1], r[2], r[3]), r[4])
            self._recent = recent
        elif since - recent.since > PRUNE_AFTER:
            recent.prune(since)
        return recent

    async def _version(self, db: aiosqlite.Connection) -> object:
        """What changes when another connection writes articles or stories.

        SQLite's ``PRAGMA data_version`` changes whenever another connection commits
        (this one's own commits leave it alone). PostgreSQL has no such counter, so each
        write of articles or stories puts a new token in ``meta`` (``_stories_written``),
        read here inside the write transaction, whose lock keeps it from changing before
        the transaction ends.
        """
        if self.dialect.postgres:
            async with db.execute(
                "SELECT value FROM meta WHERE key = ?", (STORIES_VERSION_KEY,)
            ) as cursor:
                row = await cursor.fetchone()
            return row[0] if row else ""
        async with db.execute("PRAGMA data_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _stories_written(self, db: aiosqlite.Connection) -> None:
        """Inside a write transaction that wrote articles or stories: on PostgreSQL, a new
        version token, so that other stores read their recent stories again. This store's
        own memory stays valid when it was current before this write (which kept it up to
        date); otherwise it is dropped."""
        if not self.dialect.postgres:
            return  # SQLite's data_version moves for other connections by itself
        before = await self._version(db)
        version = secrets.token_hex(8)
        await db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (STORIES_VERSION_KEY, version),
        )
        recent = self._recent
        if recent is not None:
            if recent.version == before:
                recent.version = version
            else:
                self._recent = None

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
            story_ids = await self._assign(db, assignments, now=now)
            await self._stories_written(db)
            return story_ids

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
            f"UPDATE stories SET last_seen_at = {self.dialect.greatest('last_seen_at', '?')} "
            "WHERE id = ?",
            touched,
        )
        await db.executemany("UPDATE articles SET story_id = ? WHERE id = ?", members_of)
        return story_ids

    async def first_unclustered_id(self) -> int | None:
        """The lowest id of an article not yet in a story, or None when all are."""
        row = await self._fetchone("SELECT MIN(id) FROM articles WHERE story_id IS NULL")
        return int(row[0]) if row and row[0] is not None else None
