"""Store part for breaking pushes previewed in a chat and waiting for their admin's
confirmation, kept in the database so that any process, and a restarted one, can take them.

A token is taken by one ``DELETE ... RETURNING`` guarded by its admin and its expiry: two
presses at once (two processes, or a double tap) delete the row once, and only the one
whose statement deleted it gets the push.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from digests.store._base import StoreBase
from digests.timeutil import from_db, to_db

_COLUMNS = "token, platform, category, article_id, admin_id, expires_at"


@dataclass(frozen=True)
class StoredPush:
    """A previewed push as stored: ``admin_id`` is the platform's user id as text."""

    token: str
    platform: str
    category: str
    article_id: int
    admin_id: str
    expires_at: datetime


def _stored(row: object) -> StoredPush:
    token, platform, category, article_id, admin_id, expires_at = row  # type: ignore[misc]
    expires = from_db(expires_at)
    assert expires is not None  # the column is NOT NULL
    return StoredPush(token, platform, category, int(article_id), str(admin_id), expires)


async def _drop_expired(db: Any, now: datetime) -> int:
    """Inside a write transaction: delete the pushes that expired before ``now``."""
    cursor = await db.execute("DELETE FROM pending_pushes WHERE expires_at < ?", (to_db(now),))
    return max(cursor.rowcount, 0)


class PendingPushStore(StoreBase):
    """Previewed pushes by the token their confirm button carries. A push is live while
    ``now <= expires_at`` (second precision, as every instant in the store)."""

    async def add_pending_push(self, push: StoredPush, *, now: datetime) -> bool:
        """Keep ``push``, dropping expired ones in the same transaction; False (nothing
        stored) when its token is already taken, so that the caller draws another."""
        async with self._transaction() as db:
            await _drop_expired(db, now)
            cursor = await db.execute(
                f"""INSERT INTO pending_pushes ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (token) DO NOTHING RETURNING token""",
                (
                    push.token,
                    push.platform,
                    push.category,
                    push.article_id,
                    push.admin_id,
                    to_db(push.expires_at),
                ),
            )
            return await cursor.fetchone() is not None

    async def peek_pending_push(
        self, token: str, *, platform: str, now: datetime
    ) -> StoredPush | None:
        """The live push ``token`` stands for on ``platform``, without taking it."""
        row = await self._fetchone(
            f"""SELECT {_COLUMNS} FROM pending_pushes
                WHERE token = ? AND platform = ? AND expires_at >= ?""",
            (token, platform, to_db(now)),
        )
        return _stored(row) if row is not None else None

    async def take_pending_push(
        self, token: str, *, platform: str, admin_id: str, now: datetime
    ) -> StoredPush | None:
        """The live push ``token`` stands for, if it is ``admin_id``'s, deleted as it is
        read: of two takes at once (two processes), exactly one gets it. Another admin's
        take leaves it; an expired one is left for ``purge_pending_pushes``."""
        async with self._transaction() as db:
            cursor = await db.execute(
                f"""DELETE FROM pending_pushes
                    WHERE token = ? AND platform = ? AND admin_id = ? AND expires_at >= ?
                    RETURNING {_COLUMNS}""",
                (token, platform, admin_id, to_db(now)),
            )
            row = await cursor.fetchone()
        return _stored(row) if row is not None else None

    async def purge_pending_pushes(self, *, now: datetime) -> int:
        """Drop the pushes that expired before ``now``; returns how many."""
        async with self._transaction() as db:
            return await _drop_expired(db, now)

    async def count_pending_pushes(self, *, platform: str, now: datetime) -> int:
        """How many live pushes wait for a confirmation on ``platform``."""
        row = await self._fetchone(
            "SELECT COUNT(*) FROM pending_pushes WHERE platform = ? AND expires_at >= ?",
            (platform, to_db(now)),
        )
        return int(row[0]) if row else 0
