"""The real Telegram Application (``bot.telegram.app``) against the local fake Bot API,
driven in-process: each update goes through ``Application.process_update``, which returns
once the handler has finished, so a test reads what the bot sent without waiting."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application

from bot.telegram.app import build_application
from bot.telegram.context import BotContext
from digests.pacing import Pacer
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.conftest import NOW
from tests.fakes.telegram_api import FakeTelegram, Limits

TOKEN = "424242:unit-test-token-for-the-local-fake-only"
BOT_ADMIN = 999
GROUP = -200
GROUP_ADMIN = 301
# The fake's flood limits are Telegram's; these tests send faster than a real chat would.
NO_FLOOD_LIMITS = Limits(global_per_second=10_000, chat_per_3s=10_000, group_per_minute=10_000)


@dataclass
class TelegramBot:
    application: Application  # type: ignore[type-arg]
    fake: FakeTelegram
    store: Store
    ctx: BotContext
    clock: FakeClock

    def __post_init__(self) -> None:
        self._update_ids = itertools.count(1)

    async def handle(self, update: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """Process one update (a ``tests.fakes.telegram_updates`` builder's) to the end;
        returns the Bot API calls the bot made meanwhile."""
        before = len(self.fake.calls)
        data = {"update_id": next(self._update_ids), **update}
        await self.application.process_update(Update.de_json(data, self.application.bot))
        return self.fake.calls[before:]

    async def say(self, update: dict[str, Any]) -> dict[str, Any]:
        """Process a command; returns the one message the bot sent in answer."""
        before = len(self.fake.messages)
        await self.handle(update)
        (sent,) = self.fake.messages[before:]
        return sent

    async def press(self, update: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Process a button press; returns the bot's answer to it (answerCallbackQuery) and
        the one change it made to the message (an edit of its text or its keyboard)."""
        calls = await self.handle(update)
        (answer,) = [c for m, c in calls if m == "answerCallbackQuery"]
        # Only edits of the pressed message: a push's progress, followed in the background,
        # may edit its own message meanwhile.
        pressed = str(update["callback_query"]["message"]["message_id"])
        edits = [
            c
            for m, c in calls
            if m.startswith("editMessage") and str(c.get("message_id")) == pressed
        ]
        assert len(edits) <= 1, edits
        return answer, edits[0] if edits else {}


@pytest.fixture
async def telegram_bot(
    categorised_store: Store,
    local_server,  # type: ignore[no-untyped-def]
) -> AsyncIterator[TelegramBot]:
    fake = FakeTelegram(limits=NO_FLOOD_LIMITS, token=TOKEN)
    fake.chat_types.update({str(GROUP): "group"})
    fake.admins[str(GROUP)] = {GROUP_ADMIN}
    base = await local_server(fake.app())
    clock = FakeClock(NOW)
    ctx = BotContext(
        categorised_store,
        Renderer(),
        Settings(),
        clock,
        admin_ids=frozenset({BOT_ADMIN}),
        progress_every_s=0.01,
    )
    application = build_application(ctx, TOKEN, f"{base}/bot", Pacer({}))
    await application.initialize()
    await application.start()  # running: tasks it creates are awaited by stop()
    try:
        yield TelegramBot(application, fake, categorised_store, ctx, clock)
    finally:
        # stop() awaits the tasks the application made (a push's following): a test that
        # leaves one running fails here instead of hanging the suite.
        await asyncio.wait_for(application.stop(), timeout=30)
        await application.shutdown()
