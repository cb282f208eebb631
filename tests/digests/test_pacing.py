from __future__ import annotations

import random

import pytest

from digests.pacing import Limit, Pacer, TokenBucket, telegram_policy


def send_times(pacer: Pacer, chats: list[str], platform: str = "telegram") -> list[float]:
    """Simulate sends requested all at t=0; return when each may go out."""
    return [pacer.reserve(platform, chat, 0.0) for chat in chats]


def max_in_window(times: list[float], window: float) -> int:
    ordered = sorted(times)
    best = 0
    start = 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_global_rate_is_respected_in_every_window() -> None:
    pacer = Pacer({"telegram": telegram_policy(30)})
    times = send_times(pacer, [str(i) for i in range(3000)])
    assert max_in_window(times, 1.0) <= 30
    assert times[-1] == pytest.approx(2999 / 28.5)  # 30/s with a 5 % margin


def test_per_chat_and_per_group_limits() -> None:
    pacer = Pacer({"telegram": telegram_policy(30)})
    private = send_times(pacer, ["42"] * 10)
    assert max_in_window(private, 3.0) <= 3
    group = send_times(pacer, ["-100"] * 25)
    assert max_in_window(group, 60.0) <= 20


def test_mixed_traffic_never_breaks_any_limit() -> None:
    rng = random.Random(3)
    pacer = Pacer({"telegram": telegram_policy(30)})
    chats = [
        rng.choice(["1", "2", "3", "-5", "-6"] + [str(i) for i in range(50)]) for _ in range(2000)
    ]
    times = send_times(pacer, chats)
    assert max_in_window(times, 1.0) <= 30
    for chat in set(chats):
        mine = [t for t, c in zip(times, chats, strict=True) if c == chat]
        assert max_in_window(mine, 3.0) <= 3
        if chat.startswith("-"):
            assert max_in_window(mine, 60.0) <= 20


def test_penalty_pauses_the_chat_and_slows_the_platform() -> None:
    pacer = Pacer({"telegram": telegram_policy(30)})
    pacer.reserve("telegram", "7", 0.0)
    pacer.penalise("telegram", "7", retry_after=5, now=1.0)
    assert pacer.reserve("telegram", "7", 1.0) == pytest.approx(5.0)
    assert pacer.rate("telegram") == pytest.approx(28.5 * 0.9)
    for n in range(20):  # separate bursts (the 429s of one burst count once)
        pacer.penalise("telegram", "8", retry_after=1, now=7.0 + 2 * n)
    assert pacer.rate("telegram") == pytest.approx(28.5 * 0.5)  # never below half


def test_unknown_platform_is_not_paced_and_idle_buckets_are_pruned() -> None:
    pacer = Pacer({"telegram": telegram_policy(30)})
    assert send_times(pacer, ["a"] * 5, platform="console") == [0.0] * 5
    send_times(pacer, ["1", "2"])
    assert pacer.prune(100.0) == 2
    assert pacer.rate("telegram") is not None


def test_bucket_burst() -> None:
    bucket = TokenBucket(rate=1.0, burst=3)
    starts = []
    for _ in range(5):
        at = bucket.earliest(0.0)
        bucket.take(at)
        starts.append(at)
    assert starts == [0.0, 0.0, 0.0, 1.0, 2.0]
    assert Limit("x", 1.0).burst == 1.0


def test_the_pace_comes_back_a_step_a_minute_after_the_last_429() -> None:
    pacer = Pacer({"telegram": telegram_policy(30.0, margin=1.0)})
    pacer.reserve("telegram", "1", now=0.0)
    pacer.penalise("telegram", "1", retry_after=1.0, now=0.0)
    pacer.penalise("telegram", "2", retry_after=1.0, now=10.0)
    assert pacer.rate("telegram") == pytest.approx(30 * 0.81)
    pacer.reserve("telegram", "3", now=69.0)  # 59 s after the last 429: not yet
    assert pacer.rate("telegram") == pytest.approx(30 * 0.81)
    pacer.reserve("telegram", "4", now=70.0)
    assert pacer.rate("telegram") == pytest.approx(30 * 0.9)
    pacer.penalise("telegram", "5", retry_after=1.0, now=100.0)  # a new 429 restarts the wait
    pacer.reserve("telegram", "6", now=150.0)
    assert pacer.rate("telegram") == pytest.approx(30 * 0.81)
    for second in (160.0, 220.0, 280.0, 340.0):
        pacer.reserve("telegram", f"at {second}", now=second)
    assert pacer.rate("telegram") == pytest.approx(30.0)  # never above the configured rate
