"""The figures ``bench/cluster_fanout.py`` prints: who got nothing or extra copies, the
sustained rate from polled counts, and when a fan-out resumed after a kill."""

from __future__ import annotations

import pytest

from bench.common import deliveries, rate_profile, resumed_after, sustained_rate


def test_deliveries_count_readers_with_none_one_and_the_extra_copies() -> None:
    per_chat = {"1": 1, "2": 3, "4": 1, "99": 5}  # chat 99 is not one of the readers
    assert deliveries(per_chat, ["1", "2", "3", "4"]) == (1, 2, 2)


def test_the_sustained_rate_leaves_out_start_up_and_tail() -> None:
    samples = [(0.0, 0), (5.0, 0), (6.0, 30), (16.0, 330), (17.0, 330), (30.0, 330)]
    assert sustained_rate(samples) == pytest.approx(30.0)


def test_no_rate_without_two_moving_samples() -> None:
    assert sustained_rate([(0.0, 0), (1.0, 10)]) == 0.0
    assert sustained_rate([(1.0, 10), (2.0, 10)]) == 0.0


def test_resumed_after_is_the_wait_for_the_next_accepted_message() -> None:
    # Polled before the kill (100), then just after it (105: sent before it died).
    samples = [(9.0, 100), (10.6, 105), (12.0, 105), (25.5, 105), (26.0, 106)]
    assert resumed_after(samples, killed_at=10.5, at_kill=105) == pytest.approx(15.5)
    assert resumed_after(samples[:4], killed_at=10.5, at_kill=105) is None


def test_the_rate_profile_shows_a_stall_as_a_dip() -> None:
    samples = [(0.0, 0), (1.0, 10), (11.0, 310), (21.0, 320), (31.0, 620)]
    assert rate_profile(samples) == [30.0, 1.0, 30.0]
    assert rate_profile([(0.0, 0)]) == []
