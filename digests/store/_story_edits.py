"""Store part for an editor's corrections to story grouping: splitting an article out of a
story, merging two stories. What each edit means for readers is decided in
``digests.story_edits`` (pure); this part reads and writes it in one write transaction, so
two editors changing the same story at once take turns and the second sees the first's
result."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiosqlite

from digests.store._base import NotFound, StoreBase
from digests.store._recent import RecentStories
from digests.story_edits import (
    Member,
    check_split,
    merge_order,
    merged_seen,
    remaining_title,
    split_seen,
)
from digests.timeutil import from_db, to_db

# What an edit's audit row says, worked out from its result (the console's words):
# an object with at, actor, platform, action, target, outcome and detail (AuditEntry).
AuditOf = Callable[[Any], Any]

# Statuses of outbox entries still to be sent (the rest are final).
_FINAL = "('sent', 'dead', 'cancelled')"


@dataclass(frozen=True)
class SplitDone:
    article_id: int
    old_story: int
    new_story: int


@dataclass(frozen=True)
class MergeDone:
    kept: int
    absorbed: int
    moved: int  # articles that moved to the kept story


class StoryEditStore(StoreBase):
    _recent: RecentStories | None = None

    async def _stories_written(self, db: aiosqlite.Connection) -> None:
        raise NotImplementedError  # StoryStore's: other processes see the change

    async def _audit_in(self, db: aiosqlite.Connection, entry: Any) -> None:
        """Inside the edit's transaction: its audit row, so that an edit is never done
        without it (a full disk between two transactions would leave one undone)."""
        await db.execute(
            """INSERT INTO audit (at, actor, platform, action, target, outcome, detail)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (
                to_db(entry.at),
                entry.actor,
                entry.platform,
                entry.action,
                entry.target,
                entry.outcome,
                entry.detail,
            ),
        )

    async def split_article(
        self, article_id: int, *, from_story: int | None = None, audit_of: AuditOf | None = None
    ) -> SplitDone:
        """Make ``article_id`` a story of its own. ``from_story``: the story the editor saw
        it in (refused when it has moved since). NotFound for an unknown article (or one in
        no story); ``StoryEditRefused`` when it is its story's only article."""
        async with self._transaction() as db:
            # Dropped once the write lock is held: ingest that held it before this edit
            # may have filled it again with the stories as they were.
            self._recent = None  # its members are grouped by story id
            done = await self._split(db, article_id, from_story)
            await self._stories_written(db)
            if audit_of is not None:
                await self._audit_in(db, audit_of(done))
            return done

    async def _split(
        self, db: aiosqlite.Connection, article_id: int, from_story: int | None
    ) -> SplitDone:
        async with db.execute("SELECT story_id FROM articles WHERE id = ?", (article_id,)) as cur:
            row = await cur.fetchone()
        if row is None or row[0] is None:
            raise NotFound(f"no article {article_id} in a story")
        old = int(row[0])
        members = await self._members(db, old)
        check_split(old, from_story, [m.id for m in members])
        article = next(m for m in members if m.id == article_id)
        remaining = [m for m in members if m.id != article_id]
        new = await self._next_id(db, "stories")
        first, last = split_seen(article)
        await db.execute(
            "INSERT INTO stories (id, title, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)",
            (new, article.title, to_db(first), to_db(last)),
        )
        await db.execute("UPDATE articles SET story_id = ? WHERE id = ?", (new, article_id))
        async with db.execute("SELECT title FROM stories WHERE id = ?", (old,)) as cur:
            title_row = await cur.fetchone()
        old_title = str(title_row[0]) if title_row else article.title
        await db.execute(
            "UPDATE stories SET title = ?, first_seen_at = ? WHERE id = ?",
            (
                remaining_title(old_title, article, remaining),
                to_db(min(m.published_at for m in remaining)),
                old,
            ),
        )
        # Readers who received the old story after the article was stored may have seen it
        # there (story_edits.saw_article): the new story counts as received for them.
        await db.execute(
            """INSERT INTO sent_stories (subscriber_id, story_id, delivery_id, sent_at)
               SELECT subscriber_id, CAST(? AS INTEGER), delivery_id, sent_at
               FROM sent_stories WHERE story_id = ? AND sent_at >= ?
               ON CONFLICT DO NOTHING""",
            (new, old, to_db(article.fetched_at)),
        )
        # Entries still to be sent that name the old story carry the article too (it is
        # stored already): sending them records the new story as received as well.
        await self._rename_waiting(db, old, old, also=new)
        await db.execute("DELETE FROM story_summaries WHERE story_id IN (?, ?)", (old, new))
        return SplitDone(article_id, old, new)

    async def _members(self, db: aiosqlite.Connection, story_id: int) -> list[Member]:
        async with db.execute(
            "SELECT id, title, published_at, fetched_at FROM articles WHERE story_id = ? "
            "ORDER BY id",
            (story_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [Member(r[0], r[1], from_db(r[2]), from_db(r[3])) for r in rows]  # type: ignore[arg-type]

    async def merge_stories(self, a: int, b: int, *, audit_of: AuditOf | None = None) -> MergeDone:
        """Make stories ``a`` and ``b`` one: the older id is kept, the other's articles move
        to it and its row goes (``story_edits``). NotFound when either does not exist;
        ``StoryEditRefused`` for a story merged with itself."""
        kept, gone = merge_order(a, b)
        async with self._transaction() as db:
            self._recent = None  # once the write lock is held (see split_article)
            done = await self._merge(db, kept, gone)
            await self._stories_written(db)
            if audit_of is not None:
                await self._audit_in(db, audit_of(done))
            return done

    async def _merge(self, db: aiosqlite.Connection, kept: int, gone: int) -> MergeDone:
        async with db.execute(
            "SELECT id, first_seen_at, last_seen_at FROM stories WHERE id IN (?, ?)", (kept, gone)
        ) as cur:
            seen = {r[0]: (from_db(r[1]), from_db(r[2])) for r in await cur.fetchall()}
        for story_id in (kept, gone):
            if story_id not in seen:
                raise NotFound(f"no story {story_id}")
        first, last = merged_seen(seen[kept], seen[gone])  # type: ignore[arg-type]
        moved = await db.execute(
            "UPDATE articles SET story_id = ? WHERE story_id = ?", (kept, gone)
        )
        await db.execute(
            "UPDATE stories SET first_seen_at = ?, last_seen_at = ? WHERE id = ?",
            (to_db(first), to_db(last), kept),
        )
        # Whoever received either story has the event: the merged one is not new to them.
        await db.execute(
            """INSERT INTO sent_stories (subscriber_id, story_id, delivery_id, sent_at)
               SELECT subscriber_id, CAST(? AS INTEGER), delivery_id, sent_at
               FROM sent_stories WHERE story_id = ? ON CONFLICT DO NOTHING""",
            (kept, gone),
        )
        await db.execute("UPDATE pushes SET story_id = ? WHERE story_id = ?", (kept, gone))
        await self._rename_waiting(db, kept, gone)
        await db.execute("DELETE FROM story_summaries WHERE story_id IN (?, ?)", (kept, gone))
        await db.execute("DELETE FROM stories WHERE id = ?", (gone,))
        return MergeDone(kept, gone, moved.rowcount)

    async def _rename_waiting(
        self, db: aiosqlite.Connection, kept: int, gone: int, *, also: int | None = None
    ) -> None:
        """Outbox entries still to be sent that carry the absorbed story name the kept one,
        so that sending them records the kept story as received."""
        async with db.execute(
            f"""SELECT DISTINCT outbox.id, outbox.story_ids FROM outbox,
                   {self.dialect.json_list("outbox.story_ids")}
                WHERE CAST(json_each.value AS INTEGER) = ? AND outbox.status NOT IN {_FINAL}""",
            (gone,),
        ) as cur:
            rows = await cur.fetchall()
        updates = []
        for entry_id, story_ids in rows:
            renamed = [kept if int(s) == gone else int(s) for s in json.loads(story_ids)]
            if also is not None:
                renamed.append(also)
            updates.append((json.dumps(list(dict.fromkeys(renamed))), entry_id))
        await db.executemany("UPDATE outbox SET story_ids = ? WHERE id = ?", updates)
