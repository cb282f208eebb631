"""Breaking-push confirmations live in the store (issue 12): a /breaking preview made by one
process is sent by a press that reaches another one (a restarted process, or another
behind the same bot), and a press that reaches two processes at once sends it once. On
both engines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.telegram.app import build_application
from bot.telegram.context import BotContext
from digests.pacing import Pacer
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.bot.telegram.conftest import BOT_ADMIN, TOKEN, TelegramBot
from tests.bot.telegram.test_buttons import ADMIN, preview
from tests.conftest import NOW
from tests.fakes import telegram_updates as tu

pytestmark = pytest.mark.parametrize("engine", ["sqlite", "postgresql"], indirect=True)

Process = Callable[[], Awaitable[TelegramBot]]


@pytest.fixture
async def another_process(telegram_bot: TelegramBot) -> AsyncIterator[Process]:
    """Starts another process of the same bot: its own Store on the same database, its
    own application and context (nothing of the first one's memory), the same fake API."""
    started: list[TelegramBot] = []

    async def start() -> TelegramBot:
        store = await Store.open(telegram_bot.store.path)
        clock = FakeClock(NOW)
        ctx = BotContext(
            store,
            Renderer(),
            Settings(),
            clock,
            admin_ids=frozenset({BOT_ADMIN}),
            progress_every_s=0.01,
        )
        base = telegram_bot.application.bot.base_url.removesuffix(TOKEN)
        application = build_application(ctx, TOKEN, base, Pacer({}))
        await application.initialize()
        await application.start()
        started.append(TelegramBot(application, telegram_bot.fake, store, ctx, clock))
        return started[-1]

    yield start
    for process in started:
        await asyncio.wait_for(process.application.stop(), timeout=30)
        await process.application.shutdown()
        await process.store.close()


async def subscribe_reader(bot: TelegramBot) -> int:
    reader = await bot.store.upsert_subscriber("telegram", "100", now=NOW)
    await bot.store.subscribe(reader.id, ["climate"], now=NOW)
    return reader.id


async def push_entries(bot: TelegramBot) -> list[tuple[int, str]]:
    rows = await bot.store._fetchall(
        "SELECT subscriber_id, status FROM outbox WHERE push_id IS NOT NULL ORDER BY id"
    )
    return [(int(r[0]), str(r[1])) for r in rows]


async def test_a_preview_is_sent_by_a_press_after_a_restart(
    telegram_bot: TelegramBot, another_process: Process
) -> None:
    reader = await subscribe_reader(telegram_bot)
    data = await preview(telegram_bot)
    restarted = await another_process()
    try:
        _, edit = await restarted.press(tu.press(data, **ADMIN))
        assert edit["text"].startswith("push #1 (climate, sending): 1 subscribers"), edit
        assert await push_entries(restarted) == [(reader, "queued")]
        # Spent: the same button pressed in the first process sends nothing more.
        calls = await telegram_bot.handle(tu.press(data, **ADMIN))
        # (The push's progress, followed by the restarted process, edits the same message.)
        assert ("editMessageText", "Not sent.") in [(m, c.get("text")) for m, c in calls]
        assert len(await restarted.store._fetchall("SELECT id FROM pushes")) == 1
    finally:  # ends the push's following, which the application's stop awaits
        await restarted.handle(tu.press("pushcancel:1", **ADMIN))


async def test_a_press_reaching_two_processes_at_once_sends_once(
    telegram_bot: TelegramBot, another_process: Process
) -> None:
    reader = await subscribe_reader(telegram_bot)
    data = await preview(telegram_bot)
    other = await another_process()
    try:
        before = len(telegram_bot.fake.calls)  # the fake API both processes call
        await asyncio.gather(
            telegram_bot.handle(tu.press(data, **ADMIN)), other.handle(tu.press(data, **ADMIN))
        )
        texts = [c["text"] for m, c in other.fake.calls[before:] if m == "editMessageText"]
        # One press sent it, the other found it spent; the progress edits are the push's.
        assert texts.count("Not sent.") == 1, texts
        assert any(text.startswith("push #1 (climate, sending)") for text in texts), texts
        assert await push_entries(other) == [(reader, "queued")]
        assert len(await other.store._fetchall("SELECT id FROM pushes")) == 1
    finally:
        await other.handle(tu.press("pushcancel:1", **ADMIN))
