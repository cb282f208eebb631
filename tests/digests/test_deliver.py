"""The delivery worker against a scripted sender: every error class, resume, shutdown."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from datetime import timedelta

import pytest

from digests.deliver import DeliveryWorker, Step, decide_failure
from digests.delivery_errors import (
    ChatMigrated,
    DestinationGone,
    MessageRejected,
    RateLimited,
    TransientError,
)
from digests.outgoing import Destination, OutgoingMessage
from digests.pacing import Pacer, discord_policy, telegram_policy
from digests.settings import DeliveryLimits
from digests.store import OutboxItem, Store
from digests.timeutil import FakeClock
from tests.conftest import NOW

LIMITS = DeliveryLimits(max_attempts=3, forbidden_limit=2)


class ScriptedSender:
    """Answers each send with the next scripted outcome (an exception or "ok")."""

    platform = "telegram"

    def __init__(self, *outcomes: object) -> None:
        self.script: deque[object] = deque(outcomes)
        self.sent: list[tuple[Destination, OutgoingMessage]] = []
        self.attempts = 0

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        self.attempts += 1
        outcome = self.script.popleft() if self.script else "ok"
        if isinstance(outcome, Exception):
            raise outcome
        self.sent.append((destination, message))
        return f"m{len(self.sent)}"


class Harness:
    def __init__(self, store: Store, sender: ScriptedSender, limits: DeliveryLimits = LIMITS):
        self.store = store
        self.clock = FakeClock(NOW)
        self.mono = 0.0
        self.slept: list[float] = []
        self.notes: list[str] = []
        self.owners: list[tuple[int, str]] = []
        self.pacer = Pacer({"telegram": telegram_policy(30), "discord": discord_policy()})

        async def sleep(seconds: float) -> None:
            self.slept.append(seconds)
            self.mono += seconds

        async def notify(text: str) -> None:
            self.notes.append(text)

        async def tell_owner(subscriber_id: int, reason: str) -> None:
            self.owners.append((subscriber_id, reason))

        self.worker = DeliveryWorker(
            store,
            {sender.platform: sender},
            self.pacer,
            self.clock,
            limits,
            monotonic=lambda: self.mono,
            sleep=sleep,
            notify_admin=notify,
            on_deactivated=tell_owner,
        )


async def subscriber_with_entry(
    store: Store,
    chat: str = "42",
    parts: int = 1,
    html: bool = True,
    platform: str = "telegram",
    text: str = "",
) -> tuple[int, int]:
    sub = await store.upsert_subscriber(platform, chat, now=NOW)
    messages = [
        OutgoingMessage(
            text=text or f"<b>part {i}</b>",
            parse_mode="HTML" if html else None,
            story_ids=(i,),
            template="telegram/digest.html.j2",
        )
        for i in range(parts)
    ]
    await store.enqueue(
        [
            OutboxItem(
                sub.id,
                "digest",
                "2026-11-27",
                platform,
                messages,
                story_ids=tuple(range(parts)),
                cursor=99,
            )
        ],
        now=NOW,
    )
    row = await store._fetchone("SELECT id FROM outbox WHERE subscriber_id = ?", (sub.id,))
    return sub.id, row[0]


async def test_multi_part_digest_is_delivered_in_order_and_completed(store: Store) -> None:
    sub, entry = await subscriber_with_entry(store, parts=3)
    sender = ScriptedSender()
    harness = Harness(store, sender)
    assert await harness.worker.run_once() == 1
    assert [m.text for _, m in sender.sent] == ["<b>part 0</b>", "<b>part 1</b>", "<b>part 2</b>"]
    row = await store.outbox_entry(entry)
    assert row["status"] == "sent" and row["parts_sent"] == 3
    # Compared as JSON: PostgreSQL writes the list with spaces after the commas.
    assert json.loads(row["message_ids"]) == ["m1", "m2", "m3"]
    loaded = await store.get_subscriber(sub)
    assert loaded.cursor_article_id == 99
    assert await store.sent_story_ids(sub) == {0, 1, 2}
    # The same chat's parts were paced about a second apart.
    assert harness.slept and min(harness.slept) > 1.0
    assert await harness.worker.run_once() == 0


async def test_half_sent_digest_resumes_at_the_first_unsent_part(store: Store) -> None:
    sub, entry = await subscriber_with_entry(store, parts=3)
    crashing = ScriptedSender("ok", TransientError("connection reset"))
    await Harness(store, crashing).worker.run_once()
    row = await store.outbox_entry(entry)
    assert (row["status"], row["parts_sent"]) == ("retrying", 1)
    assert (await store.get_subscriber(sub)).cursor_article_id is None  # not moved yet
    # A process killed mid-send leaves "sending" under its lease; once the lease ran out,
    # the next claim (by any process) takes the entry over where it stopped.
    await store._db.execute(
        "UPDATE outbox SET status = 'sending', claimed_by = 'killed', lease_until = ?",
        ("2000-01-01T00:00:00+00:00",),
    )
    resumed = ScriptedSender()
    await Harness(store, resumed).worker.run_once()
    assert [m.text for _, m in resumed.sent] == ["<b>part 1</b>", "<b>part 2</b>"]
    assert (await store.outbox_entry(entry))["status"] == "sent"
    assert (await store.get_subscriber(sub)).cursor_article_id == 99


async def test_429_waits_retry_after_slows_down_and_retries(store: Store) -> None:
    _, entry = await subscriber_with_entry(store)
    sender = ScriptedSender(RateLimited(7))
    harness = Harness(store, sender)
    await harness.worker.run_once()
    assert (await store.outbox_entry(entry))["status"] == "sent"
    assert any(s == pytest.approx(7, abs=0.01) for s in harness.slept)
    assert harness.pacer.rate("telegram") < 28.5


async def test_endless_429_goes_back_to_the_queue_without_counting_an_attempt(
    store: Store,
) -> None:
    _, entry = await subscriber_with_entry(store)
    sender = ScriptedSender(*[RateLimited(1)] * 10)
    await Harness(store, sender).worker.run_once()
    row = await store.outbox_entry(entry)
    assert row["status"] == "retrying" and row["attempts"] == 0
    assert sender.attempts == 5  # RATE_LIMIT_RETRIES tries in a row, then back to the queue


async def test_transient_errors_back_off_then_dead_letter(store: Store) -> None:
    _, entry = await subscriber_with_entry(store)
    sender = ScriptedSender(*[TransientError("HTTP 502")] * 5)
    harness = Harness(store, sender)
    await harness.worker.run_once()
    row = await store.outbox_entry(entry)
    assert row["status"] == "retrying" and row["attempts"] == 1
    assert "HTTP 502" in row["last_error"]
    assert await harness.worker.run_once() == 0  # not before its next attempt time
    for _ in range(2):
        harness.clock.advance(timedelta(hours=2))
        await harness.worker.run_once()
    row = await store.outbox_entry(entry)
    assert row["status"] == "dead" and "gave up after 3 attempts" in row["last_error"]
    failed = await store._fetchall("SELECT status, error FROM deliveries")
    assert [tuple(r) for r in failed][-1][0] == "failed"


async def test_blocked_user_is_deactivated_after_repeated_refusals(store: Store) -> None:
    sub, entry = await subscriber_with_entry(store)
    sender = ScriptedSender(*[DestinationGone("Forbidden: bot was blocked by the user")] * 3)
    harness = Harness(store, sender)
    await harness.worker.run_once()
    assert (await store.outbox_entry(entry))["status"] == "retrying"
    assert (await store.get_subscriber(sub)).active
    harness.clock.advance(timedelta(hours=2))
    await harness.worker.run_once()
    loaded = await store.get_subscriber(sub)
    assert not loaded.active and "blocked by the user" in (loaded.inactive_reason or "")
    assert (await store.outbox_entry(entry))["status"] == "cancelled"
    assert harness.notes and "42" in harness.notes[0]
    assert loaded.timezone == "UTC" and loaded.digest_time == "08:00"  # settings kept
    assert [o[0] for o in harness.owners] == [sub]


async def test_two_entries_refused_together_tell_the_owner_once(store: Store) -> None:
    sub, _ = await subscriber_with_entry(store)
    await store.enqueue(
        [
            OutboxItem(
                sub,
                "breaking",
                "story:9",
                "telegram",
                [OutgoingMessage(text="flash")],
                story_ids=(9,),
                cursor=None,
                priority=10,
            )
        ],
        now=NOW,
    )
    gone = DestinationGone("Forbidden: bot was blocked by the user")
    sender = ScriptedSender(gone, gone)
    harness = Harness(store, sender, DeliveryLimits(forbidden_limit=1))
    await harness.worker.run_once()
    assert sender.attempts == 2  # both were claimed together and both were refused
    assert not (await store.get_subscriber(sub)).active
    assert len(harness.owners) == 1 and len(harness.notes) == 1


async def test_a_success_resets_the_refusal_count(store: Store) -> None:
    sub, _ = await subscriber_with_entry(store)
    harness = Harness(store, ScriptedSender(DestinationGone("chat not found"), "ok"))
    await harness.worker.run_once()
    harness.clock.advance(timedelta(hours=2))
    await harness.worker.run_once()
    row = await store._fetchone("SELECT delivery_failures FROM subscribers WHERE id = ?", (sub,))
    assert row[0] == 0


async def test_migrated_group_is_rewritten_and_resent(store: Store) -> None:
    sub, entry = await subscriber_with_entry(store, chat="-100")
    sender = ScriptedSender(ChatMigrated("-100999"))
    await Harness(store, sender).worker.run_once()
    assert [d.chat_id for d, _ in sender.sent] == ["-100999"]
    assert (await store.get_subscriber(sub)).chat_id == "-100999"
    assert (await store.outbox_entry(entry))["status"] == "sent"


async def test_malformed_message_is_resent_once_as_plain_text(store: Store) -> None:
    _, entry = await subscriber_with_entry(store)
    sender = ScriptedSender(MessageRejected("can't parse entities"))
    await Harness(store, sender).worker.run_once()
    ((_, message),) = sender.sent
    assert message.text == "part 0" and message.parse_mode is None
    assert (await store.outbox_entry(entry))["status"] == "sent"


async def test_the_plain_text_fallback_fits_the_platform(store: Store) -> None:
    await subscriber_with_entry(store, platform="discord", html=False, text="word " * 900)
    sender = ScriptedSender(MessageRejected("Invalid Form Body"))
    sender.platform = "discord"
    await Harness(store, sender).worker.run_once()
    ((_, message),) = sender.sent
    assert message.embeds == () and len(message.text) <= 2000


async def test_malformed_even_as_plain_text_is_dead_not_a_loop(store: Store) -> None:
    _, entry = await subscriber_with_entry(store)
    sender = ScriptedSender(*[MessageRejected("message is too long")] * 10)
    await Harness(store, sender).worker.run_once()
    row = await store.outbox_entry(entry)
    assert row["status"] == "dead" and "plain text" in row["last_error"]
    assert sender.attempts == 2


async def test_a_sender_bug_is_retried_like_a_transient_error(store: Store) -> None:
    _, entry = await subscriber_with_entry(store)
    await Harness(store, ScriptedSender(KeyError("oops"))).worker.run_once()
    row = await store.outbox_entry(entry)
    assert row["status"] == "retrying" and "KeyError" in row["last_error"]


async def test_breaking_news_jumps_the_queue(store: Store) -> None:
    for chat in ("1", "2", "3"):
        await subscriber_with_entry(store, chat=chat)
    urgent = await store.upsert_subscriber("telegram", "9", now=NOW)
    await store.enqueue(
        [
            OutboxItem(
                urgent.id,
                "breaking",
                "story:5",
                "telegram",
                [OutgoingMessage(text="BREAKING")],
                story_ids=(5,),
                priority=10,
            )
        ],
        now=NOW,
    )
    sender = ScriptedSender()
    await Harness(store, sender).worker.run_once()
    assert sender.sent[0][1].text == "BREAKING"
    assert await store.sent_story_ids(urgent.id) == {5}


async def test_graceful_shutdown_stops_claiming(store: Store) -> None:
    await subscriber_with_entry(store)
    sender = ScriptedSender()
    harness = Harness(store, sender)
    stop = asyncio.Event()
    task = asyncio.create_task(harness.worker.run(stop, idle_wait=0.01))
    for _ in range(100):
        if sender.sent:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert len(sender.sent) == 1
    await subscriber_with_entry(store, chat="7")
    assert await store.outbox_counts() == {"telegram": {"sent": 1, "queued": 1}}


@pytest.mark.parametrize(
    ("error", "attempts", "failures", "rate_limited", "plain", "step"),
    [
        (RateLimited(3), 0, 0, 1, False, Step.RETRY_NOW),
        (RateLimited(3), 0, 0, 6, False, Step.RETRY_LATER),
        (TransientError("x"), 0, 0, 0, False, Step.RETRY_LATER),
        (TransientError("x"), 2, 0, 0, False, Step.DEAD),
        (DestinationGone("x"), 0, 1, 0, False, Step.RETRY_LATER),
        (DestinationGone("x"), 0, 2, 0, False, Step.DEACTIVATE),
        (ChatMigrated("-1"), 0, 0, 0, False, Step.MIGRATE),
        (MessageRejected("x"), 0, 0, 0, False, Step.PLAIN),
        (MessageRejected("x"), 0, 0, 0, True, Step.DEAD),
        (RuntimeError("bug"), 0, 0, 0, False, Step.RETRY_LATER),
    ],
)
def test_decide_failure(
    error: Exception, attempts: int, failures: int, rate_limited: int, plain: bool, step: Step
) -> None:
    decision = decide_failure(
        error,
        attempts=attempts,
        failures=failures,
        rate_limited=rate_limited,
        plain_fallback=plain,
        now=NOW,
        limits=LIMITS,
        jitter=0.5,
    )
    assert decision.step is step


def test_backoff_grows_and_is_capped() -> None:
    from digests.deliver import backoff

    limits = DeliveryLimits()
    assert backoff(1, limits, 0.5) == timedelta(seconds=30)
    assert backoff(3, limits, 0.5) == timedelta(seconds=120)
    assert backoff(20, limits, 0.5) == timedelta(hours=1)
    assert backoff(1, limits, 0.0) == timedelta(seconds=15)


async def test_a_chat_that_keeps_migrating_is_not_followed_forever(store: Store) -> None:
    _, entry = await subscriber_with_entry(store, chat="-100")
    sender = ScriptedSender(ChatMigrated("-101"), ChatMigrated("-102"), "ok")
    await Harness(store, sender).worker.run_once()
    row = await store.outbox_entry(entry)
    assert row["status"] == "dead" and "migrated twice" in row["last_error"]
    assert sender.sent == []


async def test_a_chats_next_part_does_not_hold_the_other_chats(store: Store) -> None:
    await subscriber_with_entry(store, chat="1", parts=2)
    harness = Harness(store, ScriptedSender())
    others: list[float] = []

    async def sleep(seconds: float) -> None:
        # While chat 1 waits for its next part, another chat (a command's reply, another
        # digest) asks the same pacer for a turn.
        others.append(harness.pacer.reserve("telegram", "2", harness.mono))
        harness.mono += seconds

    harness.worker._sleep = sleep
    assert await harness.worker.run_once() == 1
    # Chat 1's second part waited its chat's second; the other chat got the platform's
    # pace, not chat 1's turn (booked at once, the global budget held it for ~1.1 s).
    assert others and others[0] < 0.1
