"""Which refused API attempts (a missing or wrong token) get an audit row: anyone who can
reach the port could otherwise grow the database without limit.

``RefusalLog`` decides in memory when to write (at most once a minute per address, with
caps over all addresses); ``audit_refused`` writes through the store's one refusal audit
(``Store.audit_refusal``, which the chat bots use too): a row per actor a minute whose
count grows, shared by every process."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.api.errors import printable
from digests.store import Store

AGGREGATE = "*"  # the entry that counts the refusals of addresses beyond the caps
MAX_ROWS = 50  # audit rows a window, over all addresses (the aggregate row aside)


@dataclass
class _Refusals:
    since: datetime  # when the last audit row for this address was written
    held: int = 0  # refusals counted since then, not written


class RefusalLog:
    """Which refused API attempts get an audit row: the first from an address in each
    ``window``, carrying how many were refused since the previous row. Anyone who can
    reach the port could otherwise grow the database without limit. Pure: the caller
    writes the rows. At most ``max_addresses`` are tracked, and at most ``max_rows`` rows
    are written a window over all addresses; beyond either cap, refusals share one
    entry, ``"*"``, and its one row a window.
    """

    def __init__(
        self,
        window: timedelta = timedelta(minutes=1),
        max_addresses: int = 1000,
        max_rows: int = MAX_ROWS,
    ):
        self.window = window
        self.max_addresses = max_addresses
        self.max_rows = max_rows
        self._seen: dict[str, _Refusals] = {}
        self._rows: deque[datetime] = deque()  # when the rows of the last window were written

    def note(self, address: str, now: datetime) -> tuple[str, int] | None:
        """Count one refusal from ``address``. Returns (address, refusals) for the audit
        row to write now, or None when this refusal is only counted."""
        if address not in self._seen and len(self._seen) >= self.max_addresses:
            self._prune(now)
            if len(self._seen) >= self.max_addresses:
                address = AGGREGATE
        entry = self._seen.get(address)
        if entry is not None and now - entry.since < self.window:
            entry.held += 1
            return None
        if address != AGGREGATE and not self._row_allowed(now):
            # Many addresses at once (one scanner behind many, or a spoofing network):
            # beyond the overall cap their refusals share one row a window.
            return self.note(AGGREGATE, now)
        held = entry.held if entry is not None else 0
        self._seen[address] = _Refusals(now)
        return address, held + 1

    def _row_allowed(self, now: datetime) -> bool:
        """Whether the overall cap allows one more row now; if so, it is counted."""
        while self._rows and now - self._rows[0] >= self.window:
            self._rows.popleft()
        if len(self._rows) >= self.max_rows:
            return False
        self._rows.append(now)
        return True

    def drain(self) -> dict[str, int]:
        """Refusals counted but not written yet, per address (at shutdown)."""
        held = {address: e.held for address, e in self._seen.items() if e.held}
        self._seen.clear()
        return held

    def _prune(self, now: datetime) -> None:
        # Only addresses with nothing held can go without losing a count.
        for address in [a for a, e in self._seen.items() if not e.held]:
            if now - self._seen[address].since >= self.window:
                del self._seen[address]


async def audit_refused(
    store: Store, address: str, action: str, count: int, now: datetime, *, detail: str
) -> None:
    """Write ``count`` refused attempts from ``address`` (``"*"`` for the aggregate) to the
    audit log, merged into that actor's refusal row of the last minute if there is one."""
    await store.audit_refusal(
        actor=f"api:{address}",
        platform="api",
        action=printable(action),
        detail=detail,
        count=count,
        now=now,
    )
