"""A burst of 429s (one event-loop stall bunches a few sends; the platform answers each
with a 429 at once) slows a platform's pace once, not once per 429; the way back (a step
a minute) is kept. Plain float times, no clock."""

from __future__ import annotations

import pytest

from digests.pacing import RECOVER_AFTER_S, SLOW_FACTOR, Pacer, TokenBucket, telegram_policy

NOMINAL = 28.5


@pytest.mark.parametrize(
    ("penalties", "expected_rate"),
    [
        # (instant, retry_after) of each 429 → the rate afterwards
        ([(10.0, 0.0)], NOMINAL * SLOW_FACTOR),
        # five 429s of one stall, within the 1 s floor of the window: one step
        ([(10.0, 0.0), (10.1, 0.0), (10.2, 0.0), (10.5, 0.0), (10.99, 0.0)], NOMINAL * 0.9),
        # a longer retry_after widens the window of one burst
        ([(10.0, 3.0), (11.5, 3.0), (12.9, 3.0)], NOMINAL * 0.9),
        # two bursts apart: two steps
        ([(10.0, 0.0), (10.3, 0.0), (11.0, 0.0), (11.2, 0.0)], NOMINAL * 0.81),
        ([(10.0, 3.0), (13.0, 0.0)], NOMINAL * 0.81),
        # many separate bursts: never below half the configured rate
        ([(10.0 + 2 * i, 0.0) for i in range(20)], NOMINAL * 0.5),
    ],
)
def test_the_429s_of_one_burst_slow_the_pace_once(
    penalties: list[tuple[float, float]], expected_rate: float
) -> None:
    bucket = TokenBucket(NOMINAL)
    for now, retry_after in penalties:
        bucket.slow_down(now, retry_after=retry_after)
    assert bucket.rate == pytest.approx(expected_rate)


def test_a_burst_does_not_postpone_the_recovery_and_the_pace_comes_back() -> None:
    """The recovery counts from the burst's first 429 (the later ones of the burst do not
    restart it), and comes back a step a minute up to the configured rate."""
    bucket = TokenBucket(NOMINAL)
    for now in (10.0, 10.4, 10.8):
        bucket.slow_down(now)
    bucket.take(10.0 + RECOVER_AFTER_S)
    assert bucket.rate == pytest.approx(NOMINAL)
    bucket.slow_down(100.0)
    bucket.slow_down(102.0)
    assert bucket.rate == pytest.approx(NOMINAL * 0.81)
    bucket.take(102.0 + RECOVER_AFTER_S)
    assert bucket.rate == pytest.approx(NOMINAL * 0.9)
    bucket.take(102.0 + 2 * RECOVER_AFTER_S)
    assert bucket.rate == pytest.approx(NOMINAL)


def test_the_pacer_counts_a_burst_of_429s_from_several_chats_once() -> None:
    """Three chats' 429s from one stall (retry_after 2 s) cut the global pace one step."""
    pacer = Pacer({"telegram": telegram_policy(30)})
    for chat, now in (("1", 5.0), ("2", 5.5), ("3", 6.9)):
        pacer.reserve("telegram", chat, now)
        pacer.penalise("telegram", chat, retry_after=2.0, now=now)
    assert pacer.rate("telegram") == pytest.approx(NOMINAL * SLOW_FACTOR)
