"""One chat never stalls the others (issue 19.2): the real Telegram Application, its update
processor and its rate limiter (paced as in production) against the local fake Bot API.
Updates go through ``update_queue``, as polling hands them over, so they take the same
path as in ``digestbot run``; replies are timed on the wall clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot.telegram.app import build_application
from bot.telegram.context import BotContext
from bot.telegram.flood import ChatLanes, once_a_minute
from digests.flood import Admission, FloodLimits
from digests.pacing import Limit, Pacer, telegram_policy
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.conftest import NOW
from tests.fakes import telegram_updates as tu
from tests.fakes.telegram_api import FakeTelegram, Limits

TOKEN = "424242:flood-test-token-for-the-local-fake-only"
BOT_ADMIN = 999
FLOODER, OTHER = 1001, 2002
GROUP = -300
SLOW_DOWN = "Too many commands at once"
# The fake does not refuse: the bot's own pacing is under test.
OPEN = Limits(global_per_second=10_000, chat_per_3s=10_000, group_per_minute=10_000)


class Monotonic:
    """A monotonic clock for the flood limits that a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Harness:
    def __init__(self, application: Application, fake: FakeTelegram) -> None:  # type: ignore[type-arg]
        self.application = application
        self.fake = fake
        self._ids = iter(range(1, 1_000_000))

    async def send(self, *updates: dict[str, Any]) -> None:
        for update in updates:
            data = {"update_id": next(self._ids), **update}
            await self.application.update_queue.put(Update.de_json(data, self.application.bot))

    async def until(self, check: Callable[[], Any], timeout: float) -> float:
        """Seconds until ``check()`` held; fails after ``timeout``."""
        started = time.monotonic()
        while not check():
            if time.monotonic() - started > timeout:
                raise AssertionError(f"not within {timeout} s")
            await asyncio.sleep(0.01)
        return time.monotonic() - started

    def texts(self, chat: int) -> list[str]:
        return [m["text"] for m in self.fake.sent_to(str(chat))]

    def answered(self) -> set[str]:
        return {c["callback_query_id"] for m, c in self.fake.calls if m == "answerCallbackQuery"}


async def harness(
    store: Store, local_server: Any, pacer: Pacer, lanes: ChatLanes
) -> AsyncIterator[Harness]:
    fake = FakeTelegram(limits=OPEN, token=TOKEN)
    fake.chat_types[str(GROUP)] = "group"
    base = await local_server(fake.app())
    ctx = BotContext(
        store, Renderer(), Settings(), FakeClock(NOW), admin_ids=frozenset({BOT_ADMIN})
    )
    application = build_application(ctx, TOKEN, f"{base}/bot", pacer, lanes=lanes)
    await application.initialize()
    await application.start()
    try:
        yield Harness(application, fake)
    finally:
        await application.stop()
        await application.shutdown()


@pytest.fixture
async def paced(categorised_store: Store, local_server: Any) -> AsyncIterator[Harness]:
    """Paced as in production (about 1 reply/s per chat; a group's 20 a minute is 1/s
    here, to keep the test short); one update of a chat at a time, so that stopping
    (which answers what was admitted) is quick."""
    production = telegram_policy(30)

    def policy(chat: str) -> list[Limit]:
        return [limit for limit in production(chat) if not limit.key.startswith("group:")]

    pacer = Pacer({"telegram": policy})
    lanes = ChatLanes(Admission(FloodLimits(max_waiting=1, press_waiting=1)))
    async for h in harness(categorised_store, local_server, pacer, lanes):
        yield h


@pytest.fixture
def clock() -> Monotonic:
    return Monotonic()


@pytest.fixture
async def unpaced(
    categorised_store: Store, local_server: Any, clock: Monotonic
) -> AsyncIterator[Harness]:
    """No reply pacing; the flood limits on a clock the test moves."""
    lanes = ChatLanes(Admission(FloodLimits()), monotonic=clock)
    async for h in harness(categorised_store, local_server, Pacer({}), lanes):
        yield h


async def test_300_commands_from_one_chat_do_not_delay_another_readers_start(
    paced: Harness,
) -> None:
    await paced.send(*(tu.command("/help", chat_id=FLOODER) for _ in range(300)))
    await paced.send(tu.command("/start", chat_id=OTHER))
    # Before: the flooding chat's pace held every update slot; /start waited minutes.
    waited = await paced.until(lambda: paced.texts(OTHER), timeout=2.0)
    assert waited < 2.0
    assert "Welcome to digestbot!" in paced.texts(OTHER)[0]
    await paced.send(tu.command("/stats", chat_id=BOT_ADMIN))  # a bot admin is never held
    await paced.until(lambda: paced.texts(BOT_ADMIN), timeout=2.0)


async def test_40_forged_presses_are_all_answered_and_delay_no_one(paced: Harness) -> None:
    presses = [
        tu.press("cat:ai-frontier", chat_id=FLOODER, user_id=FLOODER, message_id=1)
        for _ in range(40)
    ]
    await paced.send(*(tu.command("/categories", chat_id=FLOODER) for _ in range(300)))
    await paced.send(*presses)
    await paced.send(tu.command("/help", chat_id=OTHER))
    await paced.until(lambda: paced.texts(OTHER), timeout=2.0)
    # Every press answered while the presser still looks at it, most with "slow down".
    ids = {p["callback_query"]["id"] for p in presses}
    await paced.until(lambda: ids <= paced.answered(), timeout=3.0)
    toasts = [c.get("text") for m, c in paced.fake.calls if m == "answerCallbackQuery"]
    assert toasts.count("Too many presses at once: please wait a moment.") >= 38


async def test_a_non_admin_flooding_a_group_does_not_delay_a_reader_elsewhere(
    paced: Harness,
) -> None:
    flood = tu.command("/subscribe climate", chat_id=GROUP, user_id=555, kind="group")
    await paced.send(*(dict(flood) for _ in range(30)))
    await paced.send(tu.command("/help", chat_id=OTHER))
    await paced.until(lambda: paced.texts(OTHER), timeout=2.0)


async def test_one_account_flooding_many_chats_is_held_with_one_notice(
    unpaced: Harness,
) -> None:
    groups = [-400 - i for i in range(40)]
    await unpaced.send(*(tu.command("/help", chat_id=g, user_id=777, kind="group") for g in groups))
    await unpaced.send(tu.command("/help", chat_id=OTHER))
    await unpaced.until(lambda: unpaced.texts(OTHER), timeout=2.0)
    await unpaced.until(lambda: len(unpaced.fake.messages) >= 12, timeout=2.0)
    texts = [m["text"] for m in unpaced.fake.messages]
    assert sum(SLOW_DOWN in text for text in texts) == 1  # one per member, not per group
    assert len(texts) == 10 + 1 + 1  # the member's 10 admitted, the notice, the other's /help


async def test_one_slow_down_notice_per_chat_a_minute_in_its_language(
    unpaced: Harness, clock: Monotonic
) -> None:
    def flood() -> list[dict[str, Any]]:
        return [tu.command("/help", chat_id=FLOODER, language="vi") for _ in range(50)]

    def notices() -> list[str]:
        return [text for text in unpaced.texts(FLOODER) if "Quá nhiều lệnh cùng lúc" in text]

    async def flood_then_marker() -> list[str]:
        await unpaced.send(*flood())
        await unpaced.application.update_queue.join()  # each handed to its lane, or dropped
        lanes = unpaced.application.update_processor
        assert isinstance(lanes, ChatLanes)
        await unpaced.until(lambda: lanes.waiting(FLOODER) == 0 and notices(), timeout=2.0)
        return unpaced.texts(FLOODER)

    first = await flood_then_marker()
    assert len(notices()) == 1
    assert 6 <= len(first) - 1 <= 8  # the queue's cap or the burst, whichever came first
    clock.now += 30  # more answers, no second notice within the minute
    second = await flood_then_marker()
    assert len(second) > len(first)
    assert len(notices()) == 1
    clock.now += 61
    await flood_then_marker()
    await unpaced.until(lambda: len(notices()) == 2, timeout=2.0)


async def test_once_a_minute_is_the_lanes_gate(unpaced: Harness, clock: Monotonic) -> None:
    key = ("refusal", GROUP, 555)
    application = unpaced.application
    assert [once_a_minute(application, key) for _ in range(3)] == [1, 0, 0]
    clock.now += 60
    assert once_a_minute(application, key) == 3


async def test_a_group_refuses_a_members_commands_once_a_minute(
    unpaced: Harness, clock: Monotonic
) -> None:
    refusal = "Only this group's administrators can change its digest."

    async def member_sends(user: int, count: int) -> None:
        command = tu.command("/subscribe climate", chat_id=GROUP, user_id=user, kind="group")
        await unpaced.send(*(dict(command) for _ in range(count)))
        await unpaced.application.update_queue.join()
        lanes = unpaced.application.update_processor
        assert isinstance(lanes, ChatLanes)
        await unpaced.until(lambda: lanes.waiting(GROUP) == 0, timeout=2.0)

    await member_sends(555, 5)
    assert unpaced.texts(GROUP).count(refusal) == 1  # before: one refusal per command
    await member_sends(556, 1)  # another member is told too
    assert unpaced.texts(GROUP).count(refusal) == 2
    clock.now += 61
    await member_sends(555, 1)
    assert unpaced.texts(GROUP).count(refusal) == 3


@pytest.fixture
async def strict(categorised_store: Store, local_server: Any) -> AsyncIterator[Harness]:
    """Paced as in production, against a fake that allows one message a second."""
    pacer = Pacer({"telegram": telegram_policy(30)})
    async for h in harness(categorised_store, local_server, pacer, ChatLanes()):
        h.fake.limits = Limits(global_per_second=1)
        yield h


async def test_a_reply_refused_with_429_is_sent_again_after_the_pause(strict: Harness) -> None:
    await strict.send(tu.command("/help", chat_id=OTHER), tu.command("/help", chat_id=FLOODER))
    await strict.until(lambda: strict.texts(OTHER) and strict.texts(FLOODER), timeout=3.0)
    assert strict.fake.too_many == 1  # the second chat's reply; before, lost with a traceback


@pytest.fixture
async def deep(categorised_store: Store, local_server: Any) -> AsyncIterator[Harness]:
    """Paced as in production."""
    pacer = Pacer({"telegram": telegram_policy(30)})
    lanes = ChatLanes(Admission(FloodLimits()))
    async for h in harness(categorised_store, local_server, pacer, lanes):
        yield h


async def test_chats_waiting_for_their_own_pace_hold_no_update_slot(deep: Harness) -> None:
    groups = [-3000 - i for i in range(10)]  # more than the 8 lanes at work at once
    await deep.send(
        *(tu.command("/help", chat_id=g, user_id=-g, kind="group") for g in groups for _ in "ab")
    )
    await deep.until(lambda: all(deep.texts(g) for g in groups), timeout=2.0)
    await deep.send(tu.command("/start", chat_id=OTHER))
    # Each group's second reply waits about 3 s for the group's pace (20 a minute);
    # holding their slots meanwhile, they would keep /start out until then.
    await deep.until(lambda: deep.texts(OTHER), timeout=1.5)
