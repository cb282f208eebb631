"""Store part for reading the audit log as the console's audit page filters it (by actor,
action, surface and date), newest first, a page at a time. Writing audit rows stays in
``_admin``.

Error contract: a filter no stored row could match (text holding NUL or a lone surrogate,
which neither engine stores) finds nothing rather than raising; checking what an editor
typed is the caller's job (``bot.web.audit``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from digests.store._base import StoreBase, like_literal
from digests.timeutil import from_db, to_db

# The largest id a cursor may name: PostgreSQL's BIGINT (SQLite's INTEGER is the same).
MAX_ID = 2**63 - 1
# A page of the log is at most this many rows (the console asks for 100).
MAX_LIMIT = 1000


@dataclass(frozen=True)
class AuditRecord:
    """One audit row with its id (the page cursor)."""

    id: int
    at: datetime
    actor: str
    platform: str
    action: str
    target: str | None
    outcome: str
    detail: str | None
    count: int


def like_prefix(text: str) -> str:
    """A LIKE pattern matching what starts with ``text``, its wildcards escaped (pure)."""
    return like_literal(text) + "%"


def storable(text: str) -> bool:
    """Whether a row could hold ``text``: neither engine stores NUL or lone surrogates."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page asks for; None leaves a filter out."""

    actor: str | None = None
    actor_prefix: bool = False
    action: str | None = None
    platform: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None

    def where(self) -> tuple[str, list[Any]] | None:
        """The WHERE clause and its parameters, or None when nothing can match (pure)."""
        texts = [t for t in (self.actor, self.action, self.platform) if t is not None]
        if not all(storable(t) for t in texts):
            return None
        if self.before_id is not None and self.before_id <= 1:
            return None
        clauses: list[str] = ["1 = 1"]
        params: list[Any] = []
        if self.actor is not None and self.actor_prefix:
            # LIKE narrows; substr keeps it case-sensitive on SQLite as on PostgreSQL.
            clauses.append("actor LIKE ? ESCAPE '\\' AND substr(actor, 1, ?) = ?")
            params += [like_prefix(self.actor), len(self.actor), self.actor]
        elif self.actor is not None:
            clauses.append("actor = ?")  # the audit_actor index
            params.append(self.actor)
        for column, value in (("action", self.action), ("platform", self.platform)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.since is not None:
            clauses.append("at >= ?")  # the audit_at index
            params.append(to_db(self.since))
        if self.until is not None:
            clauses.append("at < ?")
            params.append(to_db(self.until))
        if self.before_id is not None:
            clauses.append("id < ?")
            params.append(min(self.before_id, MAX_ID))
        return " AND ".join(clauses), params


def _record(row: sqlite3.Row) -> AuditRecord:
    return AuditRecord(
        id=int(row["id"]),
        at=from_db(row["at"]),  # type: ignore[arg-type]
        actor=row["actor"],
        platform=row["platform"],
        action=row["action"],
        target=row["target"],
        outcome=row["outcome"],
        detail=row["detail"],
        count=int(row["count"]),
    )


class AuditSearchStore(StoreBase):
    async def search_audit(
        self,
        actor: str | None = None,
        action: str | None = None,
        platform: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        before_id: int | None = None,
        limit: int = 100,
        *,
        actor_prefix: bool = False,
    ) -> list[AuditRecord]:
        """Audit rows newest first (by id) matching every filter given: ``actor`` exactly,
        or as the start of the name with ``actor_prefix``; ``since`` inclusive, ``until``
        exclusive; ``before_id`` the cursor of the next (older) page."""
        chosen = AuditFilter(actor, actor_prefix, action, platform, since, until, before_id)
        found = chosen.where()
        if found is None:
            return []
        clause, params = found
        rows = await self._fetchall(
            f"SELECT * FROM audit WHERE {clause} ORDER BY id DESC LIMIT ?",
            (*params, max(1, min(limit, MAX_LIMIT))),
        )
        return [_record(row) for row in rows]

    async def audit_actions(self) -> list[str]:
        """The actions the log holds, in order (the audit page's choice of action)."""
        return await self._distinct("action")

    async def _distinct(self, column: str) -> list[str]:
        """The values of an indexed audit column, one index search each (a loose index
        scan: DISTINCT would read every row of the log on every audit page view)."""
        rows = await self._fetchall(
            f"""WITH RECURSIVE seen (value) AS (
                    SELECT MIN({column}) FROM audit
                    UNION ALL
                    SELECT (SELECT MIN({column}) FROM audit WHERE {column} > seen.value)
                    FROM seen WHERE seen.value IS NOT NULL)
                SELECT value FROM seen WHERE value IS NOT NULL"""
        )
        # Sorted here: the engines' collations order text differently.
        return sorted(str(row[0]) for row in rows)

    async def audit_platforms(self) -> list[str]:
        """The surfaces (console, api, telegram, discord, cli …) the log holds, in order."""
        return await self._distinct("platform")
