"""Store part for breaking-news pushes and the audit log of admin actions."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from digests.errors import ConflictError
from digests.models import Article, NewArticle
from digests.store._base import StoreBase, StoreError, placeholders
from digests.store._enqueue import OutboxItem, insert_entries
from digests.store._push_counts import with_purged
from digests.store._stories import Grouping
from digests.timeutil import from_db, to_db

REFUSAL_WINDOW = timedelta(minutes=1)  # one audit row per refused actor, with a count

# SQL: the push row ``pushes`` has no entry left to send.
NOTHING_PENDING = """NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.push_id = pushes.id
    AND outbox.status IN ('queued', 'sending', 'retrying'))"""


async def finish_pushes(
    db: aiosqlite.Connection, of_entries: str, params: Sequence[Any], stamp: str
) -> None:
    """Mark done the pushes of these entries (``of_entries`` selects outbox rows) that have
    nothing left to send: the last entry of a push to finish closes it, whoever polls."""
    await db.execute(
        f"""UPDATE pushes SET status = 'done', finished_at = ?
            WHERE status = 'sending' AND {NOTHING_PENDING}
              AND id IN (SELECT push_id FROM outbox WHERE {of_entries} AND push_id IS NOT NULL)""",
        (stamp, *params),
    )


class PushBusy(StoreError, ConflictError):
    """A push for this category is still going out."""


@dataclass(frozen=True)
class Push:
    id: int
    category: str
    story_id: int
    article_id: int
    status: str
    requested_by: str
    total: int
    created_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]

    @property
    def pending(self) -> int:
        return sum(self.counts.get(s, 0) for s in ("queued", "sending", "retrying"))


@dataclass(frozen=True)
class PushRow:
    """A push as the console lists it: with its article's title (None once purged)."""

    push: Push
    title: str | None


def _push_of(row: Any, counts: dict[str, int]) -> Push:
    return Push(
        row["id"],
        row["category"],
        row["story_id"],
        row["article_id"],
        row["status"],
        row["requested_by"],
        row["total"],
        from_db(row["created_at"]),  # type: ignore[arg-type]
        from_db(row["finished_at"]),
        with_purged(counts, row["purged"]),
    )


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    platform: str
    action: str
    target: str | None
    outcome: str
    detail: str | None
    count: int = 1  # attempts a refusal row stands for (one row per actor a minute)


# What a push sends, worked out once its article is stored: (story id, its entries).
PushContent = tuple[int, Sequence[OutboxItem]]


async def _finish_idle(db: aiosqlite.Connection, category: str, stamp: str) -> bool:
    """Finish the category's push if nothing of it is pending; True if one still goes out."""
    await db.execute(
        f"""UPDATE pushes SET status = 'done', finished_at = ?
            WHERE category = ? AND status = 'sending' AND {NOTHING_PENDING}""",
        (stamp, category),
    )
    async with db.execute(
        "SELECT 1 FROM pushes WHERE category = ? AND status = 'sending'", (category,)
    ) as cursor:
        return await cursor.fetchone() is not None


async def _open_push(
    db: aiosqlite.Connection,
    items: Sequence[OutboxItem],
    *,
    category: str,
    story_id: int,
    article_id: int,
    requested_by: str,
    now: datetime,
) -> tuple[int, int]:
    """Insert the push row and its entries (a push with none is done at once)."""
    stamp = to_db(now)
    cursor = await db.execute(
        """INSERT INTO pushes (category, story_id, article_id, requested_by,
               created_at) VALUES (?, ?, ?, ?, ?) RETURNING id""",
        (category, story_id, article_id, requested_by, stamp),
    )
    row = await cursor.fetchone()
    push_id = int(row[0]) if row else 0
    total = await insert_entries(db, items, now=now, push_id=push_id)
    await db.execute(
        "UPDATE pushes SET total = ?, status = CASE WHEN ? = 0 THEN 'done' "
        "ELSE status END, finished_at = CASE WHEN ? = 0 THEN ? END WHERE id = ?",
        (total, total, total, stamp, push_id),
    )
    return push_id, total


def _busy(category: str) -> PushBusy:
    return PushBusy(f"a breaking push for {category} is still going out")


class AdminStore(StoreBase):
    async def enqueue_push(
        self,
        items: Sequence[OutboxItem],
        *,
        category: str,
        story_id: int,
        article_id: int,
        requested_by: str,
        now: datetime,
    ) -> tuple[int, int]:
        """Open a breaking push and enqueue its entries in one transaction; return (push
        id, entries added). A push with none added is done at once.

        A push of the category with nothing pending is finished first, so only a push
        still going out blocks this one (raises PushBusy). Because a push and its entries
        appear together, "nothing pending" never means "not enqueued yet".
        """
        try:
            async with self._transaction() as db:
                await _finish_idle(db, category, to_db(now))
                return await _open_push(
                    db,
                    items,
                    category=category,
                    story_id=story_id,
                    article_id=article_id,
                    requested_by=requested_by,
                    now=now,
                )
        except sqlite3.IntegrityError:
            raise _busy(category) from None

    async def push_new_article(
        self,
        scope: str,
        article: NewArticle,
        grouping: Grouping,
        *,
        category: str,
        content: Callable[[int], Awaitable[PushContent]],
        requested_by: str,
        now: datetime,
    ) -> tuple[int, int]:
        """Store a new article of ``category`` (grouped into a story) and open a push of
        it, in one transaction: a refused push (PushBusy) leaves no article behind, and
        an article is never stored for a push that did not start. ``content`` gives the
        push's story and entries for the stored article's id; it runs inside the
        transaction (reads only), so it sees the article. Returns (push id, entries).
        """
        try:
            async with self._transaction() as db:
                if await _finish_idle(db, category, to_db(now)):
                    raise _busy(category)  # before storing or rendering anything
                # ArticleStore's part of the same Store, inside this transaction.
                await self._store(  # type: ignore[attr-defined]
                    db, scope, [article], [category], now=now, grouping=grouping, feed_id=None
                )
                async with db.execute(
                    "SELECT id FROM articles WHERE scope = ? AND url = ?", (scope, article.url)
                ) as cursor:
                    row = await cursor.fetchone()
                if row is None:
                    raise StoreError(f"the article {article.url} could not be stored")
                # The callback reads the uncommitted article: this task's reads go through
                # its transaction (StoreBase._read_connection).
                story_id, items = await content(int(row[0]))
                return await _open_push(
                    db,
                    items,
                    category=category,
                    story_id=story_id,
                    article_id=int(row[0]),
                    requested_by=requested_by,
                    now=now,
                )
        except BaseException as exc:
            self._recent = None  # the story cache may hold what was rolled back
            if isinstance(exc, sqlite3.IntegrityError):  # another process's push came first
                raise _busy(category) from None
            raise

    async def get_push(self, push_id: int) -> Push | None:
        """The push with its entries counted by status; None when there is no such push."""
        row = await self._fetchone("SELECT * FROM pushes WHERE id = ?", (push_id,))
        if row is None:
            return None
        counts = {
            r[0]: int(r[1])
            for r in await self._fetchall(
                "SELECT status, COUNT(*) FROM outbox WHERE push_id = ? GROUP BY status",
                (push_id,),
            )
        }
        return _push_of(row, counts)

    async def latest_push_id(self) -> int | None:
        row = await self._fetchone("SELECT MAX(id) FROM pushes")
        return int(row[0]) if row and row[0] is not None else None

    async def latest_pushes(self, limit: int, *, category: str | None = None) -> list[PushRow]:
        """The newest pushes first (of one category, or of all), counted by status."""
        where, params = ("WHERE p.category = ?", [category]) if category else ("", [])
        rows = await self._fetchall(
            f"""SELECT p.*, a.title FROM pushes p LEFT JOIN articles a ON a.id = p.article_id
                {where} ORDER BY p.id DESC LIMIT ?""",
            (*params, limit),
        )
        counts: dict[int, dict[str, int]] = {int(r["id"]): {} for r in rows}
        if counts:
            for r in await self._fetchall(
                f"""SELECT push_id, status, COUNT(*) FROM outbox
                    WHERE push_id IN ({placeholders(list(counts))}) GROUP BY push_id, status""",
                list(counts),
            ):
                counts[int(r[0])][r[1]] = int(r[2])
        return [PushRow(_push_of(r, counts[int(r["id"])]), r["title"]) for r in rows]

    async def latest_articles_of(self, category: str, limit: int) -> list[Article]:
        """The category's newest grouped articles, newest first (what a push can name)."""
        found = await self._select_articles(  # type: ignore[attr-defined]
            """a.id IN (SELECT article_id FROM (SELECT ac2.article_id FROM article_categories ac2
                   JOIN articles a2 ON a2.id = ac2.article_id AND a2.story_id IS NOT NULL
                   WHERE ac2.category = ? ORDER BY ac2.article_id DESC LIMIT ?) newest)""",
            [category, limit],
        )
        return list(reversed(found))

    async def finish_push(self, push_id: int, *, status: str, now: datetime) -> None:
        async with self._transaction() as db:
            await self._finish(db, push_id, status, now)

    async def _finish(self, db: Any, push_id: int, status: str, now: datetime) -> None:
        await db.execute(
            "UPDATE pushes SET status = ?, finished_at = ? WHERE id = ? AND status = 'sending'",
            (status, to_db(now), push_id),
        )

    async def cancel_push_entries(self, push_id: int, *, now: datetime, end: bool = False) -> int:
        """Cancel a push's unsent entries (``end``: and the push, in one go); how many."""
        async with self._transaction() as db:
            cursor = await db.execute(
                """UPDATE outbox SET status = 'cancelled', last_error = 'push cancelled',
                       updated_at = ? WHERE push_id = ? AND status IN ('queued', 'retrying')""",
                (to_db(now), push_id),
            )
            if end:
                await self._finish(db, push_id, "cancelled", now)
            return cursor.rowcount

    async def active_subscribers_of(self, category: str) -> list[tuple[int, str, str, str]]:
        """(id, platform, language, timezone) of active, unpaused subscribers of a live
        category (a retired one's subscriptions are dormant)."""
        rows = await self._fetchall(
            """SELECT s.id, s.platform, s.language, s.timezone FROM subscribers s
               JOIN subscriptions sub ON sub.subscriber_id = s.id
               JOIN categories c ON c.slug = sub.category AND c.retired_at IS NULL
               WHERE sub.category = ? AND s.active = 1 AND s.paused = 0 ORDER BY s.id""",
            (category,),
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def had_story(self, story_id: int, subscriber_ids: Sequence[int]) -> set[int]:
        """Which of these subscribers received the story or have it waiting."""
        found: set[int] = set()
        stories = self.dialect.json_list("outbox.story_ids")
        for start in range(0, len(subscriber_ids), 500):
            part = list(subscriber_ids[start : start + 500])
            marks = placeholders(part)
            for row in await self._fetchall(
                f"""SELECT subscriber_id FROM sent_stories
                    WHERE story_id = ? AND subscriber_id IN ({marks})
                    UNION SELECT subscriber_id FROM outbox, {stories}
                    WHERE CAST(json_each.value AS INTEGER) = ? AND outbox.status NOT IN
                          ('sent', 'dead', 'cancelled') AND subscriber_id IN ({marks})""",
                (story_id, *part, story_id, *part),
            ):
                found.add(int(row[0]))
        return found

    async def audit(
        self,
        *,
        actor: str,
        platform: str,
        action: str,
        outcome: str,
        now: datetime,
        target: str | None = None,
        detail: str | None = None,
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                """INSERT INTO audit (at, actor, platform, action, target, outcome, detail)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (to_db(now), actor, platform, action, target, outcome, detail),
            )

    async def audit_refusal(
        self,
        *,
        actor: str,
        platform: str,
        action: str,
        now: datetime,
        detail: str | None = None,
        target: str | None = None,
        count: int = 1,
    ) -> bool:
        """Audit a refused command or press at most once per actor a minute: within a
        minute of the actor's last refusal row, its count grows by ``count`` instead
        (one statement either way, so several processes share the row). The row keeps
        the first refusal's action and detail. Returns True when a new row was written.

        Both bots and the admin API's refused attempts come through here, so a flood of
        forged presses or refused commands costs one row a minute, not one each."""
        since = to_db(now - REFUSAL_WINDOW)
        async with self._transaction() as db:
            bumped = await db.execute(
                """UPDATE audit SET count = count + ? WHERE id = (
                       SELECT id FROM audit WHERE actor = ? AND platform = ?
                         AND outcome = 'refused' AND at > ? ORDER BY at DESC, id DESC LIMIT 1)""",
                (count, actor, platform, since),
            )
            if bumped.rowcount:
                return False
            await db.execute(
                """INSERT INTO audit (at, actor, platform, action, target, outcome, detail,
                       count) VALUES (?, ?, ?, ?, ?, 'refused', ?, ?)""",
                (to_db(now), actor, platform, action, target, detail, count),
            )
            return True

    async def audit_log(self, limit: int = 100) -> list[AuditEntry]:
        rows = await self._fetchall("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return [
            AuditEntry(
                from_db(r["at"]),
                r["actor"],
                r["platform"],
                r["action"],  # type: ignore[arg-type]
                r["target"],
                r["outcome"],
                r["detail"],
                r["count"],
            )
            for r in rows
        ]

    async def purge_audit_before(self, cutoff: datetime) -> int:
        """Retention: audit entries older than ``cutoff``; return how many went."""
        async with self._transaction() as db:
            cursor = await db.execute("DELETE FROM audit WHERE at < ?", (to_db(cutoff),))
            return cursor.rowcount
