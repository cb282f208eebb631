"""Store part for subscribe links: codes made by ``digestbot links add`` and the one
sign-up row per chat that says which link brought it in."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from digests.links import Link, SignupCount, new_code
from digests.store._base import NotFound, StoreBase, StoreError, placeholders
from digests.timeutil import from_db, to_db

# Tries before giving up on finding a free code (57^6 codes per first letter).
CODE_TRIES = 20


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
            rows = await (
                await db.execute(
                    f"SELECT slug FROM categories WHERE retired_at IS NULL "
                    f"AND slug IN ({placeholders(slugs)})",
                    slugs,
                )
            ).fetchall()
            missing = [s for s in slugs if s not in {r[0] for r in rows}]
            if missing:
                raise NotFound(f"unknown category: {', '.join(missing)}")
            for _ in range(CODE_TRIES):
                code = new_code()
                try:
                    await db.execute(
                        "INSERT INTO links (code, categories, source, created_at) "
                        "VALUES (?, ?, ?, ?)",
                        (code, json.dumps(list(slugs)), source, to_db(now)),
                    )
                except sqlite3.IntegrityError:
                    continue
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

    async def record_signup(
        self, subscriber_id: int, link: str, *, source: str = "", now: datetime
    ) -> bool:
        """Remember which link brought this chat in; False when one already did (a chat
        counts once, however often it taps)."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO signups (subscriber_id, link, source, at) "
                "VALUES (?, ?, ?, ?)",
                (subscriber_id, link, source, to_db(now)),
            )
            return cursor.rowcount == 1

    async def signup_counts(self) -> list[SignupCount]:
        """Sign-ups per link and source, most first."""
        rows = await self._fetchall(
            "SELECT link, source, COUNT(*) AS n FROM signups GROUP BY link, source "
            "ORDER BY n DESC, link, source"
        )
        return [SignupCount(r["link"], r["source"], r["n"]) for r in rows]
