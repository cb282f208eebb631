"""The circuit breaker and back-off, with a fake clock (``now`` passed in) and fixed jitter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from digests.summaries.breaker import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    CLOSED,
    HALF_OPEN,
    OPEN,
    OPEN_FOR,
    OPEN_MAX,
    RETRY_AFTER_MAX,
    THRESHOLD,
    Breaker,
    retry_after_delay,
)
from digests.summaries.model import RATE_LIMITED, REFUSED, SERVER_ERROR, TIMEOUT

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def fixed(value: float = 1.0 - 1e-9) -> Callable[[], float]:
    return lambda: value


def test_closed_allows_calls() -> None:
    breaker = Breaker()
    assert all(breaker.allow(T0) for _ in range(10))
    assert breaker.state == CLOSED


def test_five_failures_in_a_row_open_it_then_one_trial_closes_it() -> None:
    breaker = Breaker(jitter=fixed(0.0))
    now = T0
    for _ in range(THRESHOLD - 1):
        breaker.failed(now, REFUSED)  # no back-off pause for a refusal: only the count
        assert breaker.allow(now)
    breaker.failed(now, REFUSED)
    assert breaker.state == OPEN and breaker.open_until == now + OPEN_FOR
    assert not breaker.allow(now + OPEN_FOR - S)
    later = now + OPEN_FOR
    assert breaker.allow(later)  # the trial
    assert breaker.state == HALF_OPEN
    assert not breaker.allow(later)  # only one at a time
    breaker.succeeded()
    assert breaker.state == CLOSED and breaker.failures == 0
    assert breaker.allow(later) and breaker.allow(later)


def test_a_failed_trial_opens_it_again_for_twice_as_long_up_to_15_minutes() -> None:
    breaker = Breaker()
    for _ in range(THRESHOLD):
        breaker.failed(T0, REFUSED)
    now = T0
    periods = []
    for _ in range(6):
        now = breaker.open_until
        assert now is not None
        assert breaker.allow(now)
        breaker.failed(now, REFUSED)
        assert breaker.open_until is not None
        periods.append(breaker.open_until - now)
    assert periods == [
        OPEN_FOR * 2,
        OPEN_FOR * 4,
        OPEN_FOR * 8,
        OPEN_MAX,
        OPEN_MAX,
        OPEN_MAX,
    ]


def test_failures_of_calls_already_under_way_do_not_extend_an_open_circuit() -> None:
    breaker = Breaker()
    for _ in range(THRESHOLD + 3):  # four calls were in flight when the fifth failed
        breaker.failed(T0, REFUSED)
    assert breaker.open_until == T0 + OPEN_FOR


def test_a_trial_the_budget_refused_lets_another_try() -> None:
    breaker = Breaker()
    for _ in range(THRESHOLD):
        breaker.failed(T0, REFUSED)
    later = T0 + OPEN_FOR
    assert breaker.allow(later)
    breaker.cancel()
    assert breaker.allow(later)


def test_retry_after_pauses_every_call_until_then() -> None:
    breaker = Breaker()
    breaker.failed(T0, RATE_LIMITED, retry_after=30)
    assert breaker.state == CLOSED
    assert not breaker.allow(T0 + 29 * S)
    assert breaker.allow(T0 + 30 * S)


def test_a_shorter_later_pause_does_not_cut_a_longer_one() -> None:
    breaker = Breaker()
    breaker.failed(T0, RATE_LIMITED, retry_after=120)
    breaker.failed(T0, RATE_LIMITED, retry_after=5)
    assert not breaker.allow(T0 + 60 * S)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        (0, None),
        (-3, None),
        (float("nan"), None),
        (float("inf"), None),
        (2.5, timedelta(seconds=2.5)),
        (10**12, RETRY_AFTER_MAX),
        (1e300, RETRY_AFTER_MAX),
    ],
)
def test_retry_after_values(header: float | None, expected: timedelta | None) -> None:
    assert retry_after_delay(header) == expected


@pytest.mark.parametrize("reason", [SERVER_ERROR, TIMEOUT])
def test_server_errors_back_off_exponentially_with_jitter(reason: str) -> None:
    low, high = Breaker(jitter=fixed(0.0)), Breaker(jitter=fixed())
    pauses = []
    for failures in range(1, THRESHOLD):
        for breaker in (low, high):
            breaker.failed(T0, reason)
        assert low.paused_until is not None and high.paused_until is not None
        full = BACKOFF_BASE * 2 ** (failures - 1)
        assert low.paused_until - T0 == full / 2  # jitter: between half and all of it
        assert full / 2 < high.paused_until - T0 <= full
        pauses.append(high.paused_until - T0)
    assert pauses == sorted(pauses)


def test_back_off_is_capped() -> None:
    breaker = Breaker(jitter=fixed())
    for _ in range(40):
        breaker.failed(T0, SERVER_ERROR)
    assert breaker.paused_until is not None
    assert breaker.paused_until - T0 <= BACKOFF_MAX


def test_a_429_without_retry_after_backs_off() -> None:
    breaker = Breaker(jitter=fixed(0.0))
    breaker.failed(T0, RATE_LIMITED, retry_after=None)
    assert breaker.paused_until == T0 + BACKOFF_BASE / 2


def test_a_success_resets_the_count() -> None:
    breaker = Breaker()
    for _ in range(THRESHOLD - 1):
        breaker.failed(T0, REFUSED)
    breaker.succeeded()
    breaker.failed(T0, REFUSED)
    assert breaker.state == CLOSED and breaker.failures == 1
