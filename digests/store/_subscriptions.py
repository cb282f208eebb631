"""Store part for what a chat subscribes to, the record of who changed a chat, and who
may change a server's channels (its admin role).

Each change to a chat is one transaction that also checks the chat is still there and
records the change on its row (``last_change``, ``changed_by``, ``changed_at``), so two
processes, or a double tap, cannot interleave a stale read with a write; and a chat
forgotten between an adapter's read and the write raises ``SubscriberGone`` instead of
failing on a foreign key or storing the chat again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from digests.keywords import clean_keywords
from digests.models import CHANGE_CHARS
from digests.store._base import NotFound, StoreBase, placeholders
from digests.timeutil import to_db


class SubscriberGone(NotFound):
    """The chat was forgotten (or never stored) before this change reached the store."""


async def record_change(
    db: aiosqlite.Connection, subscriber_id: int, *, what: str, by: str | None, now: datetime
) -> None:
    """Inside the change's transaction: write what changed and who changed it on the
    subscriber row and, for a group or channel, an audit row too. Raises SubscriberGone
    (and so rolls the change back) when the subscriber does not exist."""
    what = what[:CHANGE_CHARS]
    stamp = to_db(now)
    async with db.execute(
        """UPDATE subscribers SET last_change = ?, changed_by = ?, changed_at = ?,
               updated_at = ? WHERE id = ? RETURNING platform, chat_id, guild_id""",
        (what, by, stamp, stamp, subscriber_id),
    ) as cursor:
        rows = list(await cursor.fetchall())
    if not rows:
        raise SubscriberGone("this chat's settings were deleted")
    platform, chat_id, guild_id = rows[0]
    if by and shared_chat(str(chat_id), guild_id):
        await db.execute(
            """INSERT INTO audit (at, actor, platform, action, target, outcome, detail)
               VALUES (?, ?, ?, 'change', ?, 'ok', ?)""",
            (stamp, by, platform, f"{platform}:{chat_id}", what),
        )


async def audit_forget(
    db: aiosqlite.Connection, subscriber_id: int, *, by: str, now: datetime
) -> None:
    """Inside the forget's transaction: an audit row naming who forgot a group or channel
    (a private chat's forget leaves nothing)."""
    async with db.execute(
        "SELECT platform, chat_id, guild_id FROM subscribers WHERE id = ?", (subscriber_id,)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None or not shared_chat(str(row[1]), row[2]):
        return
    await db.execute(
        """INSERT INTO audit (at, actor, platform, action, target, outcome, detail)
           VALUES (?, ?, ?, 'forget', ?, 'ok', 'everything stored about the chat deleted')""",
        (to_db(now), by, row[0], f"{row[0]}:{row[1]}"),
    )


def shared_chat(chat_id: str, guild_id: str | None) -> bool:
    """A group, channel or server channel rather than one person's private chat (whose
    changes and forget leave no audit row): Telegram gives groups and channels negative
    ids, a Discord DM has no server."""
    return guild_id is not None or chat_id.startswith("-")


async def require_subscriber(db: aiosqlite.Connection, subscriber_id: int) -> None:
    """Raise SubscriberGone when the subscriber does not exist (inside a transaction)."""
    async with db.execute("SELECT 1 FROM subscribers WHERE id = ?", (subscriber_id,)) as cursor:
        if await cursor.fetchone() is None:
            raise SubscriberGone("this chat's settings were deleted")


async def require_live(db: aiosqlite.Connection, slugs: Sequence[str]) -> None:
    """Raise NotFound naming each slug that is not a live (unretired) category."""
    async with db.execute(
        f"SELECT slug FROM categories WHERE retired_at IS NULL AND slug IN ({placeholders(slugs)})",
        list(slugs),
    ) as cursor:
        live = {row[0] for row in await cursor.fetchall()}
    missing = [s for s in dict.fromkeys(slugs) if s not in live]
    if missing:
        raise NotFound(f"unknown category: {', '.join(missing)}")


class SubscriptionStore(StoreBase):
    async def subscribe(
        self,
        subscriber_id: int,
        categories: Sequence[str],
        *,
        now: datetime,
        by: str | None = None,
    ) -> None:
        """Add subscriptions (existing ones keep their keyword filters).

        Raises NotFound when a category does not exist or is retired, SubscriberGone when
        the subscriber does not."""
        wanted = list(dict.fromkeys(categories))
        async with self._transaction() as db:
            await require_live(db, wanted)
            what = "subscribed: " + ", ".join(wanted)
            await record_change(db, subscriber_id, what=what, by=by, now=now)
            await db.executemany(
                """INSERT INTO subscriptions (subscriber_id, category, created_at)
                   VALUES (?, ?, ?) ON CONFLICT DO NOTHING""",
                [(subscriber_id, c, to_db(now)) for c in wanted],
            )

    async def unsubscribe(
        self,
        subscriber_id: int,
        categories: Sequence[str] | None,
        *,
        now: datetime | None = None,
        by: str | None = None,
    ) -> int:
        """Remove the named subscriptions, or with ``None`` all those the reader sees;
        return how many. ``None`` leaves the dormant subscriptions of retired categories
        (the reader sees none of them), so they come back if their category does. With
        ``now`` the change is recorded, and a subscriber that does not exist raises
        SubscriberGone."""
        async with self._transaction() as db:
            if now is not None:
                what = "unsubscribed: " + (", ".join(categories) if categories else "all")
                await record_change(db, subscriber_id, what=what, by=by, now=now)
            if categories is None:
                cursor = await db.execute(
                    """DELETE FROM subscriptions WHERE subscriber_id = ? AND category IN
                       (SELECT slug FROM categories WHERE retired_at IS NULL)""",
                    (subscriber_id,),
                )
            else:
                cursor = await db.execute(
                    f"DELETE FROM subscriptions WHERE subscriber_id = ? AND category IN "
                    f"({placeholders(categories)})",
                    (subscriber_id, *categories),
                )
            return cursor.rowcount

    async def set_subscription(
        self, subscriber_id: int, category: str, subscribed: bool, *, now: datetime, by: str | None
    ) -> bool:
        """Make the subscription to ``category`` be ``subscribed`` (idempotent: a second
        identical call changes nothing); return whether it changed. Raises NotFound for a
        category that is not live, SubscriberGone for a subscriber that is gone."""
        async with self._transaction() as db:
            await require_live(db, [category])
            await require_subscriber(db, subscriber_id)
            if subscribed:
                cursor = await db.execute(
                    """INSERT INTO subscriptions (subscriber_id, category, created_at)
                       VALUES (?, ?, ?) ON CONFLICT DO NOTHING""",
                    (subscriber_id, category, to_db(now)),
                )
            else:
                cursor = await db.execute(
                    "DELETE FROM subscriptions WHERE subscriber_id = ? AND category = ?",
                    (subscriber_id, category),
                )
            changed = cursor.rowcount == 1
            if changed:
                what = ("subscribed: " if subscribed else "unsubscribed: ") + category
                await record_change(db, subscriber_id, what=what, by=by, now=now)
            return changed

    async def toggle_subscription(
        self, subscriber_id: int, category: str, *, now: datetime, by: str | None
    ) -> bool:
        """Flip the subscription to ``category`` as it is stored now, not as the caller
        last read it; return whether the chat is subscribed afterwards. Raises like
        ``set_subscription``."""
        async with self._transaction() as db:
            await require_live(db, [category])
            await require_subscriber(db, subscriber_id)
            cursor = await db.execute(
                "DELETE FROM subscriptions WHERE subscriber_id = ? AND category = ?",
                (subscriber_id, category),
            )
            subscribed = cursor.rowcount == 0
            if subscribed:
                await db.execute(
                    """INSERT INTO subscriptions (subscriber_id, category, created_at)
                       VALUES (?, ?, ?)""",
                    (subscriber_id, category, to_db(now)),
                )
            what = ("subscribed: " if subscribed else "unsubscribed: ") + category
            await record_change(db, subscriber_id, what=what, by=by, now=now)
            return subscribed

    async def set_keywords(
        self,
        subscriber_id: int,
        category: str,
        keywords: Sequence[str],
        *,
        now: datetime | None = None,
        by: str | None = None,
    ) -> list[str]:
        """Set the keyword filter of one subscription; return the keywords stored.

        Keywords are cleaned by ``digests.keywords.clean_keywords`` (a line break inside
        one separates it, so the limits hold for what is stored): raises KeywordError
        beyond the limits, NotFound if not subscribed, SubscriberGone (with ``now``) when
        the subscriber is gone."""
        cleaned = clean_keywords(keywords)
        async with self._transaction() as db:
            if now is not None:
                what = f"filter {category}: " + (", ".join(cleaned) if cleaned else "off")
                await record_change(db, subscriber_id, what=what, by=by, now=now)
            cursor = await db.execute(
                "UPDATE subscriptions SET keywords = ? WHERE subscriber_id = ? AND category = ?",
                ("\n".join(cleaned), subscriber_id, category),
            )
            if cursor.rowcount == 0:
                raise NotFound(f"not subscribed to {category}")
        return cleaned

    async def admin_role(self, platform: str, guild_id: str) -> str | None:
        """The role whose members may change this server's channels, if one was set."""
        row = await self._fetchone(
            "SELECT admin_role FROM guild_settings WHERE platform = ? AND guild_id = ?",
            (platform, guild_id),
        )
        return row[0] if row else None

    async def set_admin_role(
        self, platform: str, guild_id: str, role: str | None, *, now: datetime
    ) -> None:
        """Set (or with ``None`` clear) a server's admin role."""
        async with self._transaction() as db:
            await db.execute(
                """INSERT INTO guild_settings (platform, guild_id, admin_role, updated_at)
                   VALUES (?, ?, ?, ?)
                   ON CONFLICT (platform, guild_id) DO UPDATE
                   SET admin_role = excluded.admin_role, updated_at = excluded.updated_at""",
                (platform, guild_id, role, to_db(now)),
            )
