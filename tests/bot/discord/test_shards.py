"""Discord shards split between processes (issue 12): ``DISCORD_SHARD_IDS`` with
``DISCORD_SHARD_COUNT`` is read strictly (one-line errors), each process built by
``digestbot run``'s Discord side (``start_discord``) identifies on the fake gateway with
only its shards; with the gateway sending a server's commands and events to the shard
that owns it (as Discord does; played by ``ShardedDiscord``), the process owning that shard
handles them; and a process stops the servers missing at ready only for its shards (the
other shards' servers are listed to other processes)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.discord.client import DigestClient
from bot.discord.context import DiscordContext
from bot.discord.settings import DiscordSettings
from bot.runner.discord import DiscordRunning, start_discord
from bot.settings import PlatformSettings, load_bot_settings, render_env_example
from bot.wiring import App
from digests.envfields import SettingsError
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.bot.discord.conftest import TOKEN
from tests.conftest import NOW
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_interactions import MANAGE_CHANNELS, slash
from tests.processes import until

# Discord puts a server on shard (id >> 22) % count: with 2 shards, 500 is on shard 0.
ON_SHARD_0, ON_SHARD_1 = "500", str(1 << 22)


def discord_of(env: dict[str, str]) -> DiscordSettings:
    return load_bot_settings(env).platforms.discord


@pytest.mark.parametrize(
    ("ids", "count", "expected"),
    [
        ("0,1", "4", (0, 1)),
        (" 3 ", "4", (3,)),
        ("2; 0", "3", (2, 0)),
        ("999", "1000", (999,)),
        ("", "4", None),  # blank: every shard
    ],
)
def test_shard_ids_are_read_with_their_count(
    ids: str, count: str, expected: tuple[int, ...] | None
) -> None:
    discord = discord_of({"DISCORD_SHARD_IDS": ids, "DISCORD_SHARD_COUNT": count})
    assert discord.shard_ids == expected and discord.shard_count == int(count)
    assert discord_of({}).shard_ids is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DISCORD_SHARD_IDS": "0"}, "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT"),
        (
            {"DISCORD_SHARD_IDS": "0,2", "DISCORD_SHARD_COUNT": "2"},
            r"shard 2 does not exist with DISCORD_SHARD_COUNT=2 \(ids are 0-1\)",
        ),
        ({"DISCORD_SHARD_IDS": "1,1", "DISCORD_SHARD_COUNT": "2"}, "names shard 1 twice"),
        ({"DISCORD_SHARD_IDS": "0,,1", "DISCORD_SHARD_COUNT": "2"}, "has an empty item"),
        ({"DISCORD_SHARD_IDS": "0,", "DISCORD_SHARD_COUNT": "2"}, "has an empty item"),
        ({"DISCORD_SHARD_IDS": "one", "DISCORD_SHARD_COUNT": "2"}, "got 'one'"),
        ({"DISCORD_SHARD_IDS": "-1", "DISCORD_SHARD_COUNT": "2"}, "whole numbers from 0"),
        ({"DISCORD_SHARD_IDS": "1.0", "DISCORD_SHARD_COUNT": "2"}, "whole numbers from 0"),
        ({"DISCORD_SHARD_IDS": "0x1", "DISCORD_SHARD_COUNT": "2"}, "whole numbers from 0"),
        ({"DISCORD_SHARD_IDS": "١", "DISCORD_SHARD_COUNT": "2"}, "whole numbers from 0"),
        ({"DISCORD_SHARD_IDS": "9" * 5000, "DISCORD_SHARD_COUNT": "2"}, r"\(5000 characters\)"),
        ({"DISCORD_SHARD_IDS": "0," * 3000 + "x"}, "DISCORD_SHARD_IDS"),
        ({"DISCORD_SHARD_IDS": "1000", "DISCORD_SHARD_COUNT": "1000"}, "past the 1000 allowed"),
        ({"DISCORD_SHARD_IDS": "0", "DISCORD_SHARD_COUNT": "9" * 5000}, "at most 1000"),
    ],
)
def test_bad_shard_settings_are_one_line_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        load_bot_settings(env)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


def test_the_shard_ids_are_in_env_example() -> None:
    assert "DISCORD_SHARD_IDS=\n" in render_env_example()
    assert (Path(__file__).parents[3] / ".env.example").read_text() == render_env_example()


async def start(app: App) -> tuple[DiscordRunning, str]:
    out = io.StringIO()
    running = await start_discord(app, out, on_push=lambda: None)
    assert running is not None
    # Discord asks 5 s between the identifies of one client's shards; the fake does not.
    running.client.before_identify_hook = _no_wait  # type: ignore[method-assign]
    running.client._connection.guild_ready_timeout = 0.05  # the gateway task has not run yet
    return running, out.getvalue()


async def _no_wait(shard_id: int | None, *, initial: bool = False) -> None:
    return None


async def test_each_process_opens_only_its_shards(
    categorised_store: Store,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    fake = FakeDiscord(token=TOKEN)
    base = await local_server(fake.app())
    original = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)

    def app_with(ids: str) -> App:
        env = {
            "DISCORD_BOT_TOKEN": TOKEN,
            "DISCORD_API_BASE_URL": f"{base}/api/v10",
            "DISCORD_GATEWAY_URL": base.replace("http://", "ws://") + "/gateway",
            "DISCORD_SHARD_COUNT": "3",
            "DISCORD_SHARD_IDS": ids,
        }
        platforms = PlatformSettings(discord=discord_of(env))
        return App(Settings(), categorised_store, Renderer(), FakeClock(NOW), platforms=platforms)

    first, first_out = await start(app_with("0,2"))
    try:
        second, second_out = await start(app_with("1"))
        try:
            await until(lambda: fake.connected == 3, timeout=20)
            assert sorted(i["shard"] for i in fake.identified) == [[0, 3], [1, 3], [2, 3]]
            assert (first.client.shard_ids, first.client.shard_count) == ([0, 2], 3)
            assert (second.client.shard_ids, second.client.shard_count) == ([1], 3)
            assert sorted(first.client.shards) == [0, 2] and list(second.client.shards) == [1]
            assert "shards 0,2 of 3)" in first_out and "shards 1 of 3)" in second_out
        finally:
            await second.stop()
    finally:
        await first.stop()
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = original


class ShardedDiscord(FakeDiscord):
    """The fake, sending a server's events to the shard that owns it as Discord does (the
    shared fake sends every event to every shard), and a DM's to shard 0."""

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        guild = data.get("guild_id", data.get("id") if event.startswith("GUILD_") else None)
        # IDENTIFY payloads and sockets are recorded together (no shard left meanwhile).
        assert len(self.identified) == len(self._sockets)
        for identify, socket in zip(self.identified, self._sockets, strict=True):
            shard, count = identify["shard"]
            if shard == ((int(guild) >> 22) % count if guild else 0):
                await self._send(socket, event, data)


async def test_a_servers_command_is_answered_by_the_process_owning_its_shard(
    categorised_store: Store,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    fake = ShardedDiscord(token=TOKEN)
    fake.guilds.update({ON_SHARD_0: {}, ON_SHARD_1: {}})  # listed at ready (to every shard)
    base = await local_server(fake.app())
    original = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    env = {
        "DISCORD_BOT_TOKEN": TOKEN,
        "DISCORD_API_BASE_URL": f"{base}/api/v10",
        "DISCORD_GATEWAY_URL": base.replace("http://", "ws://") + "/gateway",
        "DISCORD_SHARD_COUNT": "2",
    }
    processes: list[DiscordRunning] = []
    seen: dict[int, list[str]] = {0: [], 1: []}
    try:
        for shard in (0, 1):
            platforms = PlatformSettings(
                discord=discord_of({**env, "DISCORD_SHARD_IDS": str(shard)})
            )
            app = App(
                Settings(), categorised_store, Renderer(), FakeClock(NOW), platforms=platforms
            )
            running, _ = await start(app)
            processes.append(running)
            answer_first = running.client.on_interaction

            async def record(
                interaction: Any, shard: int = shard, then: Any = answer_first
            ) -> None:
                seen[shard].append(str(interaction.guild_id))
                await then(interaction)

            running.client.on_interaction = record  # type: ignore[method-assign]
            remove_first = running.client.on_guild_remove

            async def removed(guild: Any, shard: int = shard, then: Any = remove_first) -> None:
                seen[shard].append(f"removed {guild.id}")
                await then(guild)

            running.client.on_guild_remove = removed  # type: ignore[method-assign]
        await until(lambda: fake.connected == 2, timeout=20)
        for guild, channel in ((ON_SHARD_1, 700), (ON_SHARD_0, 600)):
            payload = slash(
                "news",
                "subscribe",
                {"category": "climate"},
                channel_id=channel,
                guild_id=int(guild),
                permissions=MANAGE_CHANNELS,
            )
            await fake.dispatch("INTERACTION_CREATE", payload)
            answer = await until(
                lambda payload=payload: next(
                    (r for r in fake.responses if r["interaction"] == payload["id"]), None
                )
            )
            assert answer["data"]["content"] == "Subscribed to Climate."
        assert seen == {0: [ON_SHARD_0], 1: [ON_SHARD_1]}
        # Removed from the server on shard 1: that shard's process stops its channel.
        await fake.dispatch("GUILD_DELETE", {"id": ON_SHARD_1})
        for _ in range(500):  # the event reaches the store through the owning process
            channel = await categorised_store.find_subscriber("discord", "700")
            if channel is not None and not channel.active:
                break
            await asyncio.sleep(0.01)
        assert channel is not None and not channel.active
        assert seen[1] == [ON_SHARD_1, f"removed {ON_SHARD_1}"] and seen[0] == [ON_SHARD_0]
        still = await categorised_store.find_subscriber("discord", "600")
        assert still is not None and still.active
    finally:
        for running in processes:
            await running.stop()
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = original


async def test_one_process_with_every_shard_is_unchanged(categorised_store: Store) -> None:
    ctx = DiscordContext(categorised_store, Renderer(), Settings(), FakeClock(NOW))
    client = DigestClient(ctx, shard_count=2)  # never logged in: nothing to close
    assert client.shard_ids is None
    assert client.owns_guild(ON_SHARD_0) and client.owns_guild(ON_SHARD_1)


async def test_servers_missing_at_ready_are_stopped_only_for_own_shards(
    categorised_store: Store,
) -> None:
    store = categorised_store
    for chat, guild in (("600", ON_SHARD_0), ("601", ON_SHARD_1), ("602", "999")):
        reader = await store.upsert_subscriber("discord", chat, now=NOW, guild_id=guild)
        await store.subscribe(reader.id, ["climate"], now=NOW)
    ctx = DiscordContext(store, Renderer(), Settings(), FakeClock(NOW))
    client = DigestClient(ctx, shard_count=2, shard_ids=(0,))  # never logged in
    assert client.owns_guild(ON_SHARD_0) and not client.owns_guild(ON_SHARD_1)
    assert not client.owns_guild("not-a-server") and not client.owns_guild("9" * 40)
    # Shard 0 lists only server 999: 500 (shard 0) left while the bot was down; the server
    # on shard 1 is listed to the other process and stays.
    assert await client.reconcile_guilds({"999"}) == 1
    active = {s.chat_id for s in await store.list_subscribers() if s.active}
    assert active == {"601", "602"}
