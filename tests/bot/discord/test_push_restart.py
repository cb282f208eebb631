"""Breaking-push confirmations live in the store (issue 12): a ``/news breaking`` preview
made by one process is sent by a press that reaches another one (a restarted process, or
another process of the same bot), and a press delivered to two processes at once sends it
once. On both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

import pytest

from bot.discord.client import DigestClient
from bot.discord.context import DiscordContext
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.bot.discord.conftest import BOT_ADMIN, TOKEN, Bot
from tests.bot.discord.test_push_presses import preview
from tests.conftest import NOW
from tests.fakes.discord_interactions import press

pytestmark = pytest.mark.parametrize("engine", ["sqlite", "postgresql"], indirect=True)

Process = Callable[[], Awaitable[Bot]]


@pytest.fixture
async def another_process(discord_bot: Bot) -> AsyncIterator[Process]:
    """Starts another process of the same bot: its own Store on the same database, its
    own client and context (nothing of the first one's memory), the same fake Discord."""
    started: list[Bot] = []

    async def start() -> Bot:
        store = await Store.open(discord_bot.store.path)
        ctx = DiscordContext(
            store,
            Renderer(),
            Settings(),
            FakeClock(NOW),
            admin_ids=frozenset({BOT_ADMIN}),
            progress_every_s=0.05,
        )
        client = DigestClient(ctx)
        await client.login(TOKEN)
        started.append(Bot(client, discord_bot.fake, store, ctx))
        return started[-1]

    yield start
    for process in started:
        await process.client.close()
        await process.store.close()


async def push_readers(bot: Bot) -> list[str]:
    """The chats the pushes' outbox entries go to."""
    rows = await bot.store._fetchall(
        """SELECT subscribers.chat_id FROM outbox
           JOIN subscribers ON subscribers.id = outbox.subscriber_id
           WHERE outbox.push_id IS NOT NULL ORDER BY outbox.id"""
    )
    return [str(r[0]) for r in rows]


async def pushes(bot: Bot) -> list[tuple[int, str]]:
    rows = await bot.store._fetchall("SELECT id, category FROM pushes ORDER BY id")
    return [(int(r[0]), str(r[1])) for r in rows]


async def test_a_preview_is_sent_by_a_press_after_a_restart(
    discord_bot: Bot, another_process: Process, now: datetime
) -> None:
    confirm = await preview(discord_bot, now)
    restarted = await another_process()
    sent = await restarted.run(press(confirm, user_id=BOT_ADMIN))
    assert sent["type"] == 7 and sent["data"]["content"].startswith(
        "push #1 (climate, sending): 1 subscribers"
    ), sent
    assert await push_readers(restarted) == ["601"]
    # Spent: the same button pressed in the first process sends nothing more.
    again = await discord_bot.text(press(confirm, user_id=BOT_ADMIN))
    assert again == "Not sent: this confirmation was already used, cancelled or expired."
    assert await pushes(restarted) == [(1, "climate")]


async def test_a_press_reaching_two_processes_at_once_sends_once(
    discord_bot: Bot, another_process: Process, now: datetime
) -> None:
    confirm = await preview(discord_bot, now)
    other = await another_process()
    # The same press (one interaction each) delivered to both processes at the same time;
    # both answer the one fake Discord.
    fake, before = discord_bot.fake, len(discord_bot.fake.responses)
    presses = [press(confirm, user_id=BOT_ADMIN) for _ in range(2)]
    for bot, payload in zip((discord_bot, other), presses, strict=True):
        bot.client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    answers = (await fake.wait_for("responses", before + 2))[before:]
    assert {a["interaction"] for a in answers} == {p["id"] for p in presses}
    contents = sorted(str(a["data"].get("content", "")) for a in answers)
    assert contents[0] == "Not sent: this confirmation was already used, cancelled or expired."
    assert contents[1].startswith("push #1 (climate, sending)"), contents
    assert await pushes(other) == [(1, "climate")]
