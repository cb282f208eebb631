"""The pure decisions of the console's log-in throttle."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digests.login_throttle import ACCOUNT_LIMIT, ADDRESS_LIMIT, lock_for, minutes_left
from tests.conftest import NOW

M = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("failures", "limit", "lock"),
    [
        (0, ACCOUNT_LIMIT, None),
        (4, ACCOUNT_LIMIT, None),
        (5, ACCOUNT_LIMIT, M),
        (6, ACCOUNT_LIMIT, 2 * M),
        (7, ACCOUNT_LIMIT, 4 * M),
        (10, ACCOUNT_LIMIT, 32 * M),
        (11, ACCOUNT_LIMIT, 60 * M),
        (10**6, ACCOUNT_LIMIT, 60 * M),
        (19, ADDRESS_LIMIT, None),
        (20, ADDRESS_LIMIT, M),
        (21, ADDRESS_LIMIT, 2 * M),
    ],
)
def test_a_lock_starts_at_the_limit_and_doubles_to_an_hour(
    failures: int, limit: int, lock: timedelta | None
) -> None:
    assert lock_for(failures, limit) == lock


@pytest.mark.parametrize(
    ("left", "minutes"),
    [(timedelta(seconds=1), 1), (M, 1), (M + timedelta(seconds=1), 2), (60 * M, 60)],
)
def test_the_minutes_said_are_rounded_up(left: timedelta, minutes: int) -> None:
    assert minutes_left(NOW + left, NOW) == minutes
