"""End to end through python-telegram-bot and the fake Bot API (issue 19, item 3): the Bot
API holds a send to one chat while that chat is forgotten; the other chats' digests still go
out, the forgotten chat gets nothing more, and the worker goes on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from bot.telegram.sender import TelegramSender
from digests.deliver import DeliveryWorker
from digests.outgoing import OutgoingMessage
from digests.pacing import Pacer
from digests.settings import DeliveryLimits
from digests.store import OutboxItem, Store
from digests.timeutil import FakeClock
from tests.conftest import NOW
from tests.fakes.telegram_api import FakeTelegram, Limits

TOKEN = "123456:TEST-token-for-the-forget-race-only-xyz"
HELD_CHAT = "555"


class Hold:
    """A middleware in front of the fake Bot API: sendMessage to HELD_CHAT waits for
    ``release`` (the platform slow to answer, as during a 429 retry)."""

    def __init__(self) -> None:
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[Any]]
    ) -> Any:
        if request.match_info.get("method") == "sendMessage":
            params = await request.json() if request.content_type == "application/json" else {}
            if not params:
                params = dict(await request.post())
            if str(params.get("chat_id")) == HELD_CHAT:
                self.held.set()
                await self.release.wait()
        return await handler(request)


async def until(condition: Callable[[], bool], worker: asyncio.Task[None]) -> None:
    for _ in range(3000):  # at most 30 s; each check ends at once when the condition holds
        if worker.done():
            worker.result()
            pytest.fail("the delivery worker ended")
        if condition():
            return
        await asyncio.sleep(0.01)
    pytest.fail("not within 30 s")


def digest(subscriber_id: int, period: str, *texts: str) -> OutboxItem:
    messages = [OutgoingMessage(text=t) for t in texts]
    return OutboxItem(subscriber_id, "digest", period, "telegram", messages)


async def test_a_chat_forgotten_while_the_bot_api_holds_its_send(
    store: Store,
    local_server,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    fake = FakeTelegram(Limits(global_per_second=200), token=TOKEN)
    hold = Hold()
    app = fake.app()
    app.middlewares.append(hold.middleware)
    base = await local_server(app)
    sender = TelegramSender.build(TOKEN, f"{base}/bot")
    gone = await store.upsert_subscriber("telegram", HELD_CHAT, now=NOW)
    other = await store.upsert_subscriber("telegram", "777", now=NOW)
    await store.enqueue([digest(gone.id, "d1", "gone part 1", "gone part 2")], now=NOW)
    worker = DeliveryWorker(
        store, {"telegram": sender}, Pacer({}), FakeClock(NOW), DeliveryLimits()
    )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop, idle_wait=0.02))

    def to(chat: str) -> list[str]:
        return [m["text"] for m in fake.messages if m["chat_id"] == chat]

    try:
        await asyncio.wait_for(hold.held.wait(), 30)
        await store.forget_subscriber(gone.id)  # "Yes, delete everything"
        await store.enqueue([digest(other.id, "d1", "other's digest")], now=NOW)
        worker.wakeup.set()
        await until(lambda: to("777") == ["other's digest"], running)
        hold.release.set()
        await until(lambda: to(HELD_CHAT) == ["gone part 1"], running)
        await store.enqueue([digest(other.id, "d2", "the next one")], now=NOW)
        worker.wakeup.set()
        await until(lambda: to("777") == ["other's digest", "the next one"], running)
    finally:
        hold.release.set()
        stop.set()
        await asyncio.wait_for(running, 30)
        await sender.close()
    assert to(HELD_CHAT) == ["gone part 1"]  # the second part never went to the chat
    assert await store.outbox_counts() == {"telegram": {"sent": 2}}
    lines = [r.getMessage() for r in caplog.records if f"subscriber {gone.id} " in r.getMessage()]
    assert len(lines) == 1 and "forgotten" in lines[0]
