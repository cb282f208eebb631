"""``Pacer.release``: sends bunched by a stalled event loop are spread again, so that no
second of what goes out holds more than the platform's pace (the fake Bot API, like
Telegram, counts what arrives within a second). Plain float times, no clock."""

from __future__ import annotations

import math

from digests.pacing import Pacer, telegram_policy

RATE = 1000.0
PACE = RATE * 0.95  # telegram_policy's margin


def booked(pacer: Pacer, count: int) -> list[float]:
    """The instants the bucket books ``count`` sends to distinct chats, all asked at 0."""
    instants, now = [], 0.0
    for n in range(count):
        instants.append(now + pacer.reserve("telegram", str(n), now, broadcast=True))
    return instants


def busiest_second(instants: list[float]) -> int:
    """The most sends within any second (a window opening at a send)."""
    ordered = sorted(instants)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def stalled(instants: list[float], start: float, length: float) -> list[float]:
    """When sends booked at ``instants`` go out if the loop stalls from ``start`` for
    ``length`` seconds: the ones booked meanwhile all at its end."""
    return [start + length if start <= at < start + length else at for at in instants]


def released(pacer: Pacer, instants: list[float]) -> list[float]:
    return [at + pacer.release("telegram", at) for at in sorted(instants)]


def test_a_stall_bunches_more_than_a_second_allows_and_release_spreads_them() -> None:
    pacer = Pacer({"telegram": telegram_policy(RATE)})
    went = stalled(booked(pacer, 3000), start=1.0, length=0.08)
    assert busiest_second(went) > RATE  # what the platform would answer with 429s
    out = released(pacer, went)
    assert busiest_second(out) <= math.ceil(PACE)
    assert all(b >= a for a, b in zip(sorted(went), out, strict=True))  # never earlier
    assert out[-1] - max(went) < 0.1  # held back only as long as the bunch needed


def test_sends_on_time_are_never_held() -> None:
    pacer = Pacer({"telegram": telegram_policy(RATE)})
    instants = booked(pacer, 3000)
    assert [pacer.release("telegram", at) for at in instants] == [0.0] * 3000


def test_a_slowed_pace_holds_to_its_lower_count() -> None:
    pacer = Pacer({"telegram": telegram_policy(30)})
    booked(pacer, 1)
    pacer.penalise("telegram", "0", 1.0, 0.0, broadcast=True)  # a 429: the pace slows
    rate = pacer.rate("telegram")
    assert rate is not None and rate < 30 * 0.95
    out = [at + pacer.release("telegram", at) for at in [5.0] * 100]  # one bunch of 100
    assert busiest_second(out) <= math.ceil(rate)


def test_a_platform_without_a_pace_is_never_held() -> None:
    pacer = Pacer({})
    assert [pacer.release("console", 1.0) for _ in range(5000)] == [0.0] * 5000


def test_book_is_own_wait_then_reserve_in_one_look() -> None:
    booking = Pacer({"telegram": telegram_policy(30)})
    stepwise = Pacer({"telegram": telegram_policy(30)})
    for n, (chat, now) in enumerate([("7", 0.0), ("8", 0.0), ("7", 0.1), ("-5", 0.2)] * 3):
        own = stepwise.own_wait("telegram", chat, now, broadcast=True)
        wait, booked = booking.book("telegram", chat, now, broadcast=True)
        if own > 0:  # the chat's own pace first, nothing taken meanwhile
            assert (wait, booked) == (own, False), n
            continue
        assert (wait, booked) == (stepwise.reserve("telegram", chat, now, broadcast=True), True)
