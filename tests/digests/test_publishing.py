"""The decision to publish in a Discord announcement channel, as a table: the hourly
limit, Discord's holds, and which stored channels changed kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from digests.publishing import (
    DEFAULT_HOLD,
    MAX_HOLD,
    announcement_changes,
    decide_publish,
    hold_for,
    is_announcement,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("ago", "hold", "allowed", "until"),
    [
        ([], None, True, None),
        ([5 * MIN] * 9, None, True, None),
        ([5 * MIN] * 10, None, False, NOW + 55 * MIN),
        # The oldest of the ten leaves the hour first: room again then.
        ([m * MIN for m in range(10, 60, 5)], None, False, NOW + 5 * MIN),
        # Attempts an hour old or more do not count.
        ([60 * MIN] * 10, None, True, None),
        # A clock set back 10 minutes: the ten publishes it made "in the future" are
        # Discord's last ten minutes; they count as made now (room in an hour at most).
        ([-10 * MIN] * 10, None, False, NOW + 60 * MIN),
        ([-10 * MIN] * 5 + [30 * MIN] * 5, None, False, NOW + 30 * MIN),
        # A clock set back more than an hour: its records say nothing of Discord's hour.
        ([-61 * MIN] * 10, None, True, None),
        ([59 * MIN] * 10, None, False, NOW + MIN),
        # Discord's 429 holds the channel even with no attempt counted.
        ([], NOW + 30 * MIN, False, NOW + 30 * MIN),
        ([], NOW - MIN, True, None),  # a hold that is over
        ([], NOW, True, None),
        ([], NOW + MAX_HOLD, False, NOW + MAX_HOLD),  # the longest a 429 sets
        # A hold longer than any 429 sets: the clock was set back; Discord decides.
        ([], NOW + MAX_HOLD + MIN, True, None),
    ],
)
def test_decide_publish(
    ago: list[timedelta], hold: datetime | None, allowed: bool, until: datetime | None
) -> None:
    verdict = decide_publish([NOW - a for a in ago], hold, NOW)
    assert verdict.allowed is allowed
    assert verdict.until == until
    assert bool(verdict.reason) is not allowed


@pytest.mark.parametrize(
    ("retry_after", "until"),
    [
        (3600.0, NOW + timedelta(hours=1)),
        (0.5, NOW + timedelta(seconds=0.5)),
        (None, NOW + DEFAULT_HOLD),
        (-1.0, NOW + DEFAULT_HOLD),
        (float("nan"), NOW + DEFAULT_HOLD),
        (float("inf"), NOW + MAX_HOLD),
        (float("9" * 5000), NOW + MAX_HOLD),  # a 5,000-digit wait: capped, no overflow
    ],
)
def test_hold_for(retry_after: float | None, until: datetime) -> None:
    assert hold_for(retry_after, NOW) == until


def test_announcement_changes_touch_only_listed_channels_that_changed() -> None:
    stored = {"1": False, "2": True, "3": True, "4": False}
    present = {"1": True, "2": False, "3": True, "9": True}  # 4: a thread or deleted
    assert announcement_changes(stored, present) == {"1": True, "2": False}
    assert is_announcement(5) and not is_announcement(0) and not is_announcement("5")
