"""Store part for subscribe links: codes made by ``digestbot links add``, the one
sign-up row per chat that says which link brought it in, and a link tap's subscription
(``subscribe_through_link``: the subscriptions and the sign-up in one transaction)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from digests.links import Link, LinkJoin, SignupCount, new_code
from digests.store._base import NotFound, StoreBase, StoreError
from digests.store._subscriptions import record_change, require_live, require_subscriber
from digests.timeutil import from_db, to_db

# Tries before giving up on finding a free code (57^6 codes per first letter).
CODE_TRIES = 20
# The latest chats whose time zones a link's reply offers (``popular_zones``).
ZONE_SAMPLE = 1_000
# Meta keys of the sign-ups ever counted, one per link and source (JSON after the prefix).
SIGNUP_TOTAL = "signups_total "


async def _insert_signup(
    db: aiosqlite.Connection, subscriber_id: int, link: str, source: str
) -> bool:
    """Inside a transaction: the chat's one sign-up row, unless it has one already, and
    one more in the link's all-time total (``signup_totals``), which /forget's cascade
    does not lower: /metrics' counter must never go down."""
    cursor = await db.execute(
        "INSERT INTO signups (subscriber_id, link, source) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        (subscriber_id, link, source),
    )
    if cursor.rowcount != 1:
        return False
    await db.execute(
        "INSERT INTO meta (key, value) VALUES (?, '1') "
        "ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)",
        (SIGNUP_TOTAL + json.dumps([link, source]),),
    )
    return True


def _link(row: aiosqlite.Row) -> Link:
    return Link(
        code=row["code"],
        categories=tuple(json.loads(row["categories"])),
        source=row["source"],
        created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
        retired_at=from_db(row["retired_at"]),
    )


class LinkStore(StoreBase):
    async def add_link(self, categories: Sequence[str], *, source: str = "", now: datetime) -> Link:
        """Store a new code for these live categories (NotFound names any other)."""
        slugs = tuple(dict.fromkeys(categories))
        if not slugs:
            raise StoreError("a link needs at least one category")
        async with self._transaction() as db:
            await require_live(db, slugs)
            for _ in range(CODE_TRIES):
                code = new_code()
                # A taken code inserts nothing rather than failing: on PostgreSQL a failed
                # statement ends the transaction, and the next try must still run in it.
                cursor = await db.execute(
                    "INSERT INTO links (code, categories, source, created_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (code, json.dumps(list(slugs)), source, to_db(now)),
                )
                if cursor.rowcount == 1:
                    return Link(code, slugs, source, now)
        raise StoreError("could not find a free link code; try again")

    async def retire_link(self, code: str, *, now: datetime) -> Link:
        """Retire a code (kept, so a tap on it gets a friendly reply); retiring twice
        keeps the first date. NotFound when there is no such code."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE links SET retired_at = ? WHERE code = ? AND retired_at IS NULL",
                (to_db(now), code),
            )
            row = await (await db.execute("SELECT * FROM links WHERE code = ?", (code,))).fetchone()
        if row is None:
            raise NotFound(f"no link with the code {code}")
        return _link(row)

    async def get_link(self, code: str) -> Link | None:
        row = await self._fetchone("SELECT * FROM links WHERE code = ?", (code,))
        return _link(row) if row else None

    async def list_links(self, *, retired: bool = False) -> list[Link]:
        """Live codes in the order they were made; with ``retired=True`` the retired too."""
        rows = await self._fetchall(
            "SELECT * FROM links"
            + ("" if retired else " WHERE retired_at IS NULL")
            + " ORDER BY created_at, code"
        )
        return [_link(r) for r in rows]

    async def record_signup(self, subscriber_id: int, link: str, *, source: str = "") -> bool:
        """Remember which link brought this chat in; False when one already did (a chat
        counts once, however often it taps)."""
        async with self._transaction() as db:
            return await _insert_signup(db, subscriber_id, link, source)

    async def subscribe_through_link(
        self,
        subscriber_id: int,
        categories: Sequence[str],
        *,
        link: str,
        source: str = "",
        now: datetime,
        by: str | None = None,
    ) -> LinkJoin:
        """A link tap: add the subscriptions the chat lacks (removing none) and, when the
        chat had no subscription at all before this tap, record its sign-up through
        ``link`` (once per chat: a sign-up row already there stays). One transaction, so
        taps of the same link at once add each subscription once and sign up once: only
        the first to write finds the chat without subscriptions.

        Raises NotFound naming a category that is not live, SubscriberGone when the chat
        was forgotten meanwhile."""
        wanted = list(dict.fromkeys(categories))
        async with self._transaction() as db:
            await require_live(db, wanted)
            await require_subscriber(db, subscriber_id)
            row = await (
                await db.execute(
                    "SELECT COUNT(*) FROM subscriptions WHERE subscriber_id = ?", (subscriber_id,)
                )
            ).fetchone()
            first = not (row and row[0])
            added = []
            for slug in wanted:
                cursor = await db.execute(
                    """INSERT INTO subscriptions (subscriber_id, category, created_at)
                       VALUES (?, ?, ?) ON CONFLICT DO NOTHING""",
                    (subscriber_id, slug, to_db(now)),
                )
                if cursor.rowcount == 1:
                    added.append(slug)
            # A repeated tap changes nothing, and records no change. The change (and a
            # group's audit row, which outlives /forget) does not name the link: which link
            # brought a chat in is kept in its one sign-up row only.
            if added:
                what = "subscribed through a link: " + ", ".join(added)
                await record_change(db, subscriber_id, what=what, by=by, now=now)
            signed_up = first and await _insert_signup(db, subscriber_id, link, source)
        return LinkJoin(tuple(added), signed_up)

    async def popular_zones(self, limit: int) -> list[str]:
        """The time zones most of the latest chats have (ZONE_SAMPLE of them), most first
        (offered under a link's reply). Counting every chat read the whole table on each
        tap (0.17 s for 200,000 chats, during which the store serves nothing else); the
        latest chats are read from the end of the primary key (3 ms), and say as well
        where a link's readers are."""
        rows = await self._fetchall(
            "SELECT timezone, COUNT(*) AS n FROM "
            "(SELECT timezone FROM subscribers ORDER BY id DESC LIMIT ?) AS latest "
            "GROUP BY timezone ORDER BY n DESC, timezone LIMIT ?",
            (ZONE_SAMPLE, limit),
        )
        return [str(r[0]) for r in rows]

    async def signup_counts(self) -> list[SignupCount]:
        """Sign-ups per link and source, most first."""
        rows = await self._fetchall(
            "SELECT link, source, COUNT(*) AS n FROM signups GROUP BY link, source "
            "ORDER BY n DESC, link, source"
        )
        return [SignupCount(r["link"], r["source"], r["n"]) for r in rows]

    async def signup_totals(self) -> list[SignupCount]:
        """Sign-ups ever counted per link and source, most first: unlike the rows
        (``signup_counts``), a chat's /forget does not lower them, and a chat forgotten
        that signs up again counts twice."""
        # A prefix test both engines spell alike (no GLOB on PostgreSQL; LIKE would read
        # the key's own '%' and '_' as wildcards).
        rows = await self._fetchall(
            "SELECT key, value FROM meta WHERE substr(key, 1, ?) = ?",
            (len(SIGNUP_TOTAL), SIGNUP_TOTAL),
        )
        totals = [
            SignupCount(*json.loads(r["key"][len(SIGNUP_TOTAL) :]), int(r["value"])) for r in rows
        ]
        return sorted(totals, key=lambda c: (-c.count, c.link, c.source))
