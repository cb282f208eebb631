"""Messages the platforms accepted and 429s, per UTC minute and platform (``send_minutes``):
the key, and the upsert the delivery worker runs inside its own write transaction. Apart
from ``_traffic`` (which reads them) so that ``_outcomes`` can write them without a cycle."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import aiosqlite

MINUTE_FORMAT = "%Y-%m-%dT%H:%M"
UPSERT = """INSERT INTO send_minutes (minute, platform, sent, limited) VALUES (?, ?, ?, ?)
    ON CONFLICT (minute, platform) DO UPDATE SET sent = send_minutes.sent + excluded.sent,
    limited = send_minutes.limited + excluded.limited"""


def minute_of(at: datetime) -> str:
    """``at``'s UTC minute as ``send_minutes`` keys it, ``2026-11-27T12:05`` (pure)."""
    return at.astimezone(UTC).strftime(MINUTE_FORMAT)


def tally(sends: Iterable[tuple[datetime, str]]) -> list[tuple[str, str, int]]:
    """(instant, platform) of each accepted message as (minute, platform, count) rows,
    one per minute and platform, in order (pure)."""
    counts = Counter((minute_of(at), platform) for at, platform in sends)
    return [(minute, platform, n) for (minute, platform), n in sorted(counts.items())]


async def add_sends(db: aiosqlite.Connection, rows: Sequence[tuple[str, str, int]]) -> None:
    """Inside a write transaction: add ``tally`` rows to ``send_minutes``."""
    if rows:
        await db.executemany(UPSERT, [(m, p, n, 0) for m, p, n in rows])
