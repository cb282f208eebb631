"""Which refused API attempts (a missing or wrong token) get an audit row: anyone who can
reach the port could otherwise grow the database without limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class _Refusals:
    since: datetime  # when the last audit row for this address was written
    held: int = 0  # refusals counted since then, not written


class RefusalLog:
    """Which refused API attempts get an audit row: the first from an address in each
    ``window``, carrying how many were refused since the previous row. Anyone who can
    reach the port could otherwise grow the database without limit. Pure: the caller
    writes the rows. At most ``max_addresses`` are tracked; beyond that, new addresses
    share one entry, ``"*"``.
    """

    def __init__(self, window: timedelta = timedelta(minutes=1), max_addresses: int = 1000):
        self.window = window
        self.max_addresses = max_addresses
        self._seen: dict[str, _Refusals] = {}

    def note(self, address: str, now: datetime) -> tuple[str, int] | None:
        """Count one refusal from ``address``. Returns (address, refusals) for the audit
        row to write now, or None when this refusal is only counted."""
        if address not in self._seen and len(self._seen) >= self.max_addresses:
            self._prune(now)
            if len(self._seen) >= self.max_addresses:
                address = "*"
        entry = self._seen.get(address)
        if entry is not None and now - entry.since < self.window:
            entry.held += 1
            return None
        held = entry.held if entry is not None else 0
        self._seen[address] = _Refusals(now)
        return address, held + 1

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
