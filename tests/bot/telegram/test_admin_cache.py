"""Who administers a Telegram group: getChatMember answers are kept a while in a bounded
cache, and a failed question is asked again instead of being kept as "no"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import Bot, Chat

from bot.telegram import context as telegram_context
from bot.telegram.context import BotContext
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.conftest import NOW
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "424242:admin-cache-test-token-for-the-fake-only"
GROUP = Chat(id=-100200, type=Chat.SUPERGROUP)


@pytest.fixture
async def fake_and_bot(
    local_server,  # type: ignore[no-untyped-def]
) -> AsyncIterator[tuple[FakeTelegram, Bot]]:
    fake = FakeTelegram(token=TOKEN)
    base = await local_server(fake.app())
    async with Bot(TOKEN, base_url=f"{base}/bot") as bot:
        yield fake, bot


def member_questions(fake: FakeTelegram) -> int:
    return sum(1 for method, _ in fake.calls if method == "getChatMember")


def context(store: Store, clock: FakeClock) -> BotContext:
    return BotContext(store, Renderer(), Settings(), clock)


async def test_a_failed_question_is_not_kept_as_no(
    store: Store, fake_and_bot: tuple[FakeTelegram, Bot]
) -> None:
    fake, bot = fake_and_bot
    ctx = context(store, FakeClock(NOW))
    fake.admins[str(GROUP.id)] = {7}
    fake.refuse = 500  # Telegram has a bad moment
    assert await ctx.is_chat_admin(GROUP, 7, bot) is False
    assert fake.echoed == 1
    fake.refuse = None
    assert await ctx.is_chat_admin(GROUP, 7, bot) is True  # asked again, not "no" for 5 min
    assert await ctx.is_chat_admin(GROUP, 7, bot) is True  # now kept
    assert member_questions(fake) == 1


async def test_answers_expire_and_the_cache_is_bounded(
    store: Store, fake_and_bot: tuple[FakeTelegram, Bot], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, bot = fake_and_bot
    monkeypatch.setattr(telegram_context, "ADMIN_CACHE_SIZE", 3)
    clock = FakeClock(NOW)
    ctx = context(store, clock)
    fake.admins[str(GROUP.id)] = {1}
    assert await ctx.is_chat_admin(GROUP, 1, bot) is True
    fake.admins[str(GROUP.id)] = set()  # demoted
    clock.advance(timedelta(seconds=telegram_context.ADMIN_CACHE_SECONDS - 1))
    assert await ctx.is_chat_admin(GROUP, 1, bot) is True  # still the kept answer
    clock.advance(timedelta(seconds=2))
    assert await ctx.is_chat_admin(GROUP, 1, bot) is False  # expired: asked again
    assert member_questions(fake) == 2
    for user in range(2, 7):
        await ctx.is_chat_admin(GROUP, user, bot)
    assert len(ctx._admins) == 3  # never more than ADMIN_CACHE_SIZE answers
    before = member_questions(fake)
    await ctx.is_chat_admin(GROUP, 1, bot)  # pushed out by newer ones: asked again
    assert member_questions(fake) == before + 1
