"""Store part for processes sharing one database: heartbeats and run-once roles (leases).

Each running process upserts its ``processes`` row every few seconds (``beat``); a row
whose heartbeat is old belongs to a process that died, and the outbox entries it held
are taken over by others (``OutboxStore.claim``). A role that must run in one process at
a time ('leader', 'sender:telegram') is a ``leases`` row with a holder and an expiry:
``hold_lease`` takes or renews it in one statement, inside a write transaction, so of two
processes asking at once exactly one holds it afterwards (writes serialize on both
engines: BEGIN IMMEDIATE on SQLite, the write lock on PostgreSQL).

A lease is live while ``now < until`` (second precision, as every instant in the store);
at ``until`` it has expired and anyone may take it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from digests.store._base import StoreBase
from digests.store._outbox import requeue_sending
from digests.timeutil import from_db, to_db


@dataclass(frozen=True)
class ProcessInfo:
    """One process's heartbeat row, as ``digestbot stats`` lists it."""

    name: str
    roles: tuple[str, ...]
    in_flight: int
    started_at: datetime
    heartbeat_at: datetime


def _when(value: str | None) -> datetime:
    parsed = from_db(value)
    assert parsed is not None  # the columns are NOT NULL
    return parsed


class ProcessStore(StoreBase):
    """Heartbeat rows of the running processes, and the role leases they hold."""

    async def beat(
        self,
        name: str,
        *,
        roles: Sequence[str],
        in_flight: int,
        started_at: datetime,
        now: datetime,
    ) -> None:
        """Write this process's row: its roles, sends in flight, and a heartbeat at ``now``."""
        # Role names are ours ('leader', 'sender:<platform>'), never holding a comma.
        async with self._transaction() as db:
            await db.execute(
                """INSERT INTO processes (name, roles, in_flight, started_at, heartbeat_at)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET roles = excluded.roles,
                       in_flight = excluded.in_flight, started_at = excluded.started_at,
                       heartbeat_at = excluded.heartbeat_at""",
                (name, ",".join(roles), int(in_flight), to_db(started_at), to_db(now)),
            )

    async def processes(self) -> list[ProcessInfo]:
        """Every process row, newest heartbeat first (a dead one stays until it is ended)."""
        rows = await self._fetchall(
            """SELECT name, roles, in_flight, started_at, heartbeat_at FROM processes
               ORDER BY heartbeat_at DESC, name"""
        )
        return [
            ProcessInfo(
                name=row[0],
                roles=tuple(role for role in str(row[1]).split(",") if role),
                in_flight=int(row[2]),
                started_at=_when(row[3]),
                heartbeat_at=_when(row[4]),
            )
            for row in rows
        ]

    async def end_process(self, name: str, *, now: datetime) -> int:
        """A clean stop, in one transaction: the process's row and role leases go, the
        outbox entries it still had 'sending' go back to the queue (returns how many), and
        its feed claims are freed, so that others need not wait for the leases to expire."""
        async with self._transaction() as db:
            await db.execute("DELETE FROM processes WHERE name = ?", (name,))
            await db.execute("DELETE FROM leases WHERE holder = ?", (name,))
            requeued = await requeue_sending(db, holder=name, now=now)
            await db.execute(
                "UPDATE feeds SET claimed_by = NULL, claim_until = NULL WHERE claimed_by = ?",
                (name,),
            )
            return requeued

    async def hold_lease(self, role: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
        """Take ``role`` if it is free, expired or already ``holder``'s (then it is renewed
        until ``now + ttl``); True when ``holder`` holds it afterwards.

        One upsert whose update is guarded: a live lease of someone else is left alone and
        the statement returns no row. ``since`` keeps the time the holder first took it."""
        stamp = to_db(now)
        async with self._transaction() as db:
            cursor = await db.execute(
                """INSERT INTO leases (name, holder, since, until) VALUES (?, ?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
                       since = CASE WHEN leases.holder = excluded.holder
                                    THEN leases.since ELSE excluded.since END,
                       until = excluded.until
                   WHERE leases.holder = excluded.holder OR leases.until <= ?
                   RETURNING holder""",
                (role, holder, stamp, to_db(now + ttl), stamp),
            )
            return await cursor.fetchone() is not None

    async def release_lease(self, role: str, holder: str) -> None:
        """Give ``role`` up, if ``holder`` holds it (someone else's lease is left alone)."""
        async with self._transaction() as db:
            await db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (role, holder))

    async def leases(self, *, now: datetime) -> dict[str, tuple[str, datetime]]:
        """The live leases: role -> (holder, until)."""
        rows = await self._fetchall(
            "SELECT name, holder, until FROM leases WHERE until > ? ORDER BY name",
            (to_db(now),),
        )
        return {row[0]: (row[1], _when(row[2])) for row in rows}
