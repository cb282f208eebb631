"""What retention deleted of a push's outbox entries, kept on the push row
(``pushes.purged``: counts by status, as JSON), so that an old push still adds up once its
entries are gone: its report is the entries left plus the ones purged."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import aiosqlite


async def keep_purged_counts(db: aiosqlite.Connection, where: str, params: Sequence[Any]) -> None:
    """Inside the purge's transaction, before it deletes the outbox rows ``where`` selects:
    add their counts by status to their pushes' ``purged``."""
    rows = await (
        await db.execute(
            f"""SELECT push_id, status, COUNT(*) FROM outbox
                WHERE push_id IS NOT NULL AND {where} GROUP BY push_id, status""",
            params,
        )
    ).fetchall()
    gone: dict[int, dict[str, int]] = {}
    for push_id, status, count in rows:
        gone.setdefault(int(push_id), {})[status] = int(count)
    for push_id, counts in gone.items():
        row = await (
            await db.execute("SELECT purged FROM pushes WHERE id = ?", (push_id,))
        ).fetchone()
        if row is not None:
            merged = with_purged(counts, row[0])
            await db.execute(
                "UPDATE pushes SET purged = ? WHERE id = ?", (json.dumps(merged), push_id)
            )


def with_purged(counts: Mapping[str, int], purged: str | None) -> dict[str, int]:
    """``counts`` by status plus those kept in a push's ``purged`` (pure; a value that is
    not such a mapping counts as none)."""
    result = dict(counts)
    try:
        kept = json.loads(purged or "{}")
    except ValueError:
        kept = {}
    if isinstance(kept, dict):
        for status, count in kept.items():
            if isinstance(status, str) and isinstance(count, int):
                result[status] = result.get(status, 0) + count
    return result
