"""The crowd planner (``digests.punctuality.plan``) as tables of fixed instants: when each
due minute's readers are dispatched, and when its last reader is expected to have it."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from digests.punctuality import (
    MAX_ESTIMATE_S,
    Minute,
    Pace,
    dispatch_until,
    plan,
)

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
SEVEN = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
M = timedelta(minutes=1)
S = timedelta(seconds=1)
# 25 messages/s, one message per digest, 30 min lead, 30 s ticks, instant assembly: a
# crowd of N readers needs N/25 s of sending.
PACE = Pace(25.0, 1.0, 30 * M, 30 * S, assembly=0.0)
# Margin before the latest start: the tick (30 s) and the slack (2 s).
MARGIN = 32 * S


def starts(minutes: list[Minute], pace: Pace = PACE) -> dict[datetime, datetime]:
    return {p.at: p.start for p in plan(minutes, pace, now=NOW)}


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        # Nobody due: nothing planned.
        ([], {}),
        # One reader: dispatched at their minute, as before.
        ([Minute(SEVEN, 1)], {SEVEN: SEVEN}),
        # 500 readers take 20 s: the minute has room, no early start.
        ([Minute(SEVEN, 500)], {SEVEN: SEVEN}),
        # 20,000 readers take 800 s: start 800 s before T + 60 s, less the margin.
        ([Minute(SEVEN, 20_000)], {SEVEN: SEVEN + 60 * S - 800 * S - MARGIN}),
        # A crowd too large for the lead (100,000 readers = 4,000 s): as early as it allows.
        ([Minute(SEVEN, 100_000)], {SEVEN: SEVEN - 30 * M}),
        # Adjacent crowds: 07:01's readers need the sender from 07:02 - 400 s = 06:55:20,
        # so 07:00's must be done by then: 06:55:20 - 400 s = 06:48:40.
        (
            [Minute(SEVEN, 10_000), Minute(SEVEN + M, 10_000)],
            {SEVEN: SEVEN - 11 * M - 20 * S - MARGIN, SEVEN + M: SEVEN - 4 * M - 40 * S - MARGIN},
        ),
        # A reader at another minute after a crowd is unchanged.
        (
            [Minute(SEVEN, 20_000), Minute(SEVEN + 10 * M, 1)],
            {SEVEN: SEVEN - 740 * S - MARGIN, SEVEN + 10 * M: SEVEN + 10 * M},
        ),
        # Messages already queued for 07:00 (a crowd started earlier) count as its load
        # but need no dispatch; the 07:01 crowd behind it has room: unchanged.
        ([Minute(SEVEN, 0, 20_000.0), Minute(SEVEN + M, 100)], {SEVEN + M: SEVEN + M}),
        # A backlog due earlier (06:30, late) is sent first, but cannot be helped by an
        # earlier start of 07:00: only the crowd's own load decides its start.
        (
            [Minute(SEVEN - 30 * M, 0, 100_000.0), Minute(SEVEN, 20_000)],
            {SEVEN: SEVEN - 740 * S - MARGIN},
        ),
        # A crowd just past the lead (07:31, 100,000 readers) cannot start before 07:01;
        # the 07:00 crowd must be done by then, not by 06:00-something.
        (
            [Minute(SEVEN, 10_000), Minute(SEVEN + 31 * M, 100_000)],
            {SEVEN: SEVEN + M - 400 * S - MARGIN, SEVEN + 31 * M: SEVEN + M},
        ),
    ],
    ids=[
        "empty",
        "one-reader",
        "fits-its-minute",
        "one-crowd",
        "too-large-for-lead",
        "adjacent-crowds",
        "non-crowd-after-crowd",
        "queued-crowd",
        "late-backlog",
        "crowd-beyond-lead",
    ],
)
def test_starts(minutes: list[Minute], expected: dict[datetime, datetime]) -> None:
    assert starts(minutes) == expected


def test_margin_counts_assembly_and_a_digests_parts() -> None:
    # Three parts per digest: 20,000 readers = 60,000 messages = 2,400 s at 25/s; the
    # last chat gets its third part 2 x 1.1 s after its first; assembly 1 ms a digest.
    pace = Pace(25.0, 3.0, 60 * M, 30 * S, assembly=0.001)
    start = starts([Minute(SEVEN, 20_000)], pace)[SEVEN]
    latest = SEVEN + 60 * S - 2400 * S
    assert start == latest - (30 + 20 + 2.2 + 2) * S


def test_lead_zero_changes_nothing() -> None:
    pace = Pace(1.0, 1.0, timedelta(0), 30 * S)
    minutes = [Minute(SEVEN, 20_000), Minute(SEVEN + M, 5), Minute(SEVEN + 2 * M, 0, 9.0)]
    assert starts(minutes, pace) == {SEVEN: SEVEN, SEVEN + M: SEVEN + M}
    assert dispatch_until(plan(minutes, pace, now=SEVEN - 10 * S), now=SEVEN - 10 * S) is None


def test_starts_never_decrease_with_the_minute() -> None:
    # Crowds of all sizes, interleaved with readers alone and queued messages.
    sizes = [1, 30_000, 0, 2, 5_000, 90_000, 1, 0, 700, 12_000]
    minutes = [
        Minute(SEVEN + i * M, size, 50.0 if i % 3 == 0 else 0.0) for i, size in enumerate(sizes)
    ]
    pace = Pace(25.0, 2.0, 30 * M, 30 * S, assembly=0.002)
    planned = plan(minutes, pace, now=NOW)
    ordered = [p.start for p in planned]
    assert ordered == sorted(ordered)
    for p in planned:
        assert p.at - 30 * M <= p.start <= p.at


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 20,000 at 07:00 start at 07:01 - 800 s - 32 s = 06:47:08: not yet at 06:47,
        # at 06:47:10 and after.
        (SEVEN - 13 * M, None),
        (SEVEN - 12 * M - 50 * S, SEVEN + 59 * S),
        (SEVEN - M, SEVEN + 59 * S),
        # At or after the minute, the readers are due anyway: nothing early.
        (SEVEN, None),
    ],
)
def test_dispatch_until(now: datetime, expected: datetime | None) -> None:
    minutes = [Minute(SEVEN, 20_000), Minute(SEVEN + 10 * M, 1)]
    assert dispatch_until(plan(minutes, PACE, now=now), now=now) == expected


def test_dispatch_until_takes_every_started_minute() -> None:
    # 07:00 and 07:01 both started by 06:55: everyone up to 07:01:59 goes now.
    minutes = [Minute(SEVEN, 10_000), Minute(SEVEN + M, 10_000), Minute(SEVEN + 9 * M, 1)]
    now = SEVEN - 5 * M
    assert dispatch_until(plan(minutes, PACE, now=now), now=now) == SEVEN + M + 59 * S


@pytest.mark.parametrize(
    ("minutes", "latest"),
    [
        # The sender is free: 20,000 from their start (06:47:08) take 800 s: 07:00:28.
        ([Minute(SEVEN, 20_000)], {SEVEN: 28.0}),
        # A backlog of 5,000 queued messages (200 s) goes first: 07:00:28 + 200 s.
        ([Minute(SEVEN - 30 * M, 0, 5_000.0), Minute(SEVEN, 20_000)], {SEVEN: 28.0}),
        # Too large for the lead: 100,000 from 06:30 take 4,000 s: 66 min 40 s after 06:30.
        ([Minute(SEVEN, 100_000)], {SEVEN: 4000.0 - 1800.0}),
        # A reader alone: at once, plus one message.
        ([Minute(SEVEN, 1)], {SEVEN: 0.04}),
    ],
)
def test_expected_latest_arrival(minutes: list[Minute], latest: dict[datetime, float]) -> None:
    found = {p.at: p.latest_s for p in plan(minutes, PACE, now=NOW)}
    assert found == pytest.approx(latest)


def test_backlog_delays_the_expected_arrival_now() -> None:
    # At 06:59 with 5,000 messages queued for 06:30 (200 s): a reader alone at 07:00
    # gets the digest after the backlog, 140 s after their minute.
    now = SEVEN - M
    planned = plan([Minute(SEVEN - 30 * M, 0, 5_000.0), Minute(SEVEN, 1)], PACE, now=now)
    assert [round(p.latest_s, 2) for p in planned] == [140.04]


def test_crowd_flag() -> None:
    planned = plan([Minute(SEVEN, 20_000), Minute(SEVEN + 20 * M, 3)], PACE, now=NOW)
    assert [p.crowd for p in planned] == [True, False]
    assert planned[0].lead == SEVEN - planned[0].start > timedelta(0)
    # Lead 0: the crowd starts at its minute, and is still shown as late.
    late = plan([Minute(SEVEN, 20_000)], Pace(25.0, lead=timedelta(0)), now=NOW)
    assert late[0].crowd and late[0].lead == timedelta(0) and late[0].latest_s > 60


@pytest.mark.parametrize(
    "pace",
    [
        Pace(0.0),
        Pace(-5.0),
        Pace(math.nan, math.nan),
        Pace(math.inf, math.inf),
        Pace(1e300, -3.0, timedelta(days=9999), timedelta(days=1), assembly=math.inf),
        Pace(1e-300, 1e300),
    ],
)
def test_hostile_paces_plan_within_bounds(pace: Pace) -> None:
    minutes = [
        Minute(SEVEN, 10**15),
        Minute(SEVEN + M, -7, -1e300),  # no readers: queued messages only, none here
        Minute(SEVEN + 2 * M, 1, math.inf),
        Minute(SEVEN + 3 * M, 2, math.nan),
    ]
    planned = plan(minutes, pace, now=NOW)
    assert [p.at for p in planned] == [SEVEN, SEVEN + 2 * M, SEVEN + 3 * M]
    for p in planned:
        assert p.at - timedelta(days=7) <= p.start <= p.at
        assert p.latest_s <= MAX_ESTIMATE_S
    ordered = [p.start for p in planned]
    assert ordered == sorted(ordered)
    dispatch_until(planned, now=NOW)


def test_two_entries_for_one_minute_are_added() -> None:
    split = plan([Minute(SEVEN, 10_000), Minute(SEVEN, 10_000, 0.0)], PACE, now=NOW)
    whole = plan([Minute(SEVEN, 20_000)], PACE, now=NOW)
    assert split == whole
