"""The flood limits' decisions (``digests.flood``) on a clock passed in: what a chat and a
member may send, what is refused and for how long, and one notice per key a minute."""

from __future__ import annotations

import pytest

from digests.flood import Admission, FloodLimits, NoticeGate, Refused
from digests.pacing import Pacer, telegram_policy

LIMITS = FloodLimits(
    chat_per_minute=20, chat_burst=8, user_per_minute=30, user_burst=10, max_waiting=6
)


def admitted(admission: Admission, chat: str, user: str | None, times: list[float]) -> int:
    return sum(admission.admit(chat, user, now) is None for now in times)


def test_a_burst_fills_the_chat_bucket_then_one_every_three_seconds() -> None:
    admission = Admission(LIMITS)
    assert admitted(admission, "1", "1", [0.0] * 300) == 8
    refused = admission.admit("1", "1", 0.0)
    assert refused == Refused("chat", "1", pytest.approx(3.0))
    assert admission.admit("1", "1", 2.9) is not None
    assert admission.admit("1", "1", 3.0) is None
    assert admission.admit("1", "1", 3.0) is not None


def test_refused_updates_take_no_token() -> None:
    admission = Admission(LIMITS)
    admitted(admission, "1", "1", [0.0] * 8)
    admitted(admission, "1", "1", [1.0] * 1000)  # hammering does not push the turn away
    assert admission.admit("1", "1", 3.0) is None


def test_other_chats_and_members_are_unaffected() -> None:
    admission = Admission(LIMITS)
    admitted(admission, "1", "1", [0.0] * 300)
    assert admission.admit("2", "2", 0.0) is None
    # The flooded chat is full, but another member still has their own share of it.
    assert admitted(admission, "1", "3", [0.0] * 10) == 3


def test_flooding_accounts_cannot_lock_a_chats_moderator_out() -> None:
    admission = Admission(LIMITS)
    moderator = flooders = 0
    for second in range(120):  # two accounts each at their own limit, for two minutes
        for member in ("a", "b"):
            flooders += admission.admit("-1", member, float(second)) is None
        if second % 20 == 0:  # a moderator's command every 20 s
            moderator += admission.admit("-1", "mod", second + 0.5) is None
    assert moderator == 6
    # The flooders got the chat's limit (8 at once, 20 a minute) and their own shares.
    assert flooders <= 8 + 40 + 2 * (3 + 6)


def test_one_member_flooding_many_chats_is_held_by_the_member_limit() -> None:
    admission = Admission(LIMITS)
    results = [admission.admit(f"-{chat}", "7", 0.0) for chat in range(40)]
    assert sum(r is None for r in results) == 10
    assert {r.notice_key for r in results if r is not None} == {"user:7"}
    assert admission.admit("-99", "8", 0.0) is None  # another member, another group: fine
    assert admission.admit("-1", "7", 2.0) is None  # 30 a minute: one every 2 s


def test_a_channel_post_without_member_counts_against_the_chat_only() -> None:
    admission = Admission(LIMITS)
    assert admitted(admission, "-5", None, [0.0] * 20) == 8


@pytest.mark.parametrize(
    ("waiting", "press", "refused"),
    [(0, False, False), (5, False, False), (6, False, True), (2, True, False), (3, True, True)],
)
def test_a_long_queue_refuses_more_and_presses_sooner(
    waiting: int, press: bool, refused: bool
) -> None:
    verdict = Admission(LIMITS).admit("1", "1", 0.0, waiting=waiting, press=press)
    assert (verdict is not None) is refused
    if verdict is not None:
        assert verdict.scope == "chat"


def test_idle_buckets_are_pruned_and_start_full() -> None:
    admission = Admission(LIMITS, max_keys=100)
    for chat in range(150):
        admission.admit(str(chat), str(chat), 0.0)
    admission.admit("x", "x", 3600.0)  # over max_keys: the full ones are forgotten
    assert len(admission._buckets) == 3  # x's chat, member and share buckets
    assert admitted(admission, "1", "1", [3600.0] * 20) == 8


def test_notice_gate_lets_one_through_per_key_a_minute_with_the_count_held() -> None:
    gate = NoticeGate(every=60)
    assert gate.allow("chat:1", 0.0) == 1
    assert [gate.allow("chat:1", t) for t in (1.0, 30.0, 59.9)] == [0, 0, 0]
    assert gate.allow("user:1", 1.0) == 1  # another key
    assert gate.allow("chat:1", 60.0) == 4  # this one and the 3 held
    assert gate.allow("chat:1", 61.0) == 0
    assert gate.allow("chat:1", 200.0) == 2


def test_notice_gate_forgets_old_keys() -> None:
    gate = NoticeGate(every=60, max_keys=10)
    for key in range(20):
        gate.allow(key, 0.0)
    gate.allow("late", 100.0)
    assert len(gate._last) == 1
    assert gate.allow(3, 100.0) == 1


def test_a_chats_own_pace_waited_out_first_does_not_hold_the_global_bucket() -> None:
    pacer = Pacer({"telegram": telegram_policy(30)})
    now = 0.0
    for _ in range(5):  # a flooding chat sends as its pace allows: waits, then books
        now += pacer.own_wait("telegram", "1", now)
        assert pacer.reserve("telegram", "1", now) == 0
    now += 0.01
    assert pacer.own_wait("telegram", "1", now) == pytest.approx(1 / 0.9 - 0.01)
    assert pacer.reserve("telegram", "2", now) < 1 / 28  # another chat: at the global pace
    # Booking the flooder's next turn at once holds everyone until then (the old way).
    pacer.reserve("telegram", "1", now)
    assert pacer.reserve("telegram", "3", now) > 1.0
