"""The refusal audit is capped overall, not only per address (red-team finding 13):
3,000 loopback addresses wrote 1,000 audit rows in 2.2 s."""

from __future__ import annotations

from datetime import timedelta

from bot.api import RefusalLog
from tests.conftest import NOW


def rows_written(log: RefusalLog, refusals: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The rows ``log`` asks for, refusing each (address, seconds after NOW) in turn."""
    rows = []
    for address, second in refusals:
        noted = log.note(address, NOW + timedelta(seconds=second))
        if noted is not None:
            rows.append(noted)
    return rows


def test_many_addresses_share_one_row_beyond_the_overall_cap() -> None:
    log = RefusalLog()  # the defaults the API uses
    rows = rows_written(log, [(f"127.0.{n // 250}.{n % 250}", 0) for n in range(3000)])
    assert len(rows) == 51  # 50 addresses, then one row for all the others
    assert rows[-1] == ("*", 1)
    assert log.drain()["*"] == 2949  # the rest is counted, written at shutdown


def test_the_cap_is_per_window_and_nothing_is_lost() -> None:
    log = RefusalLog(window=timedelta(minutes=1), max_rows=3)
    first = rows_written(log, [(f"10.0.0.{n}", 0) for n in range(10)])
    assert first == [("10.0.0.0", 1), ("10.0.0.1", 1), ("10.0.0.2", 1), ("*", 1)]
    later = rows_written(log, [(f"10.0.0.{n}", 61) for n in range(10)])
    # A minute on: three rows again, and the aggregate carries what it counted meanwhile.
    assert later == [("10.0.0.0", 1), ("10.0.0.1", 1), ("10.0.0.2", 1), ("*", 6 + 1)]
    assert log.drain() == {"*": 6}
    written = sum(count for _, count in first + later) + 6
    assert written == 20
