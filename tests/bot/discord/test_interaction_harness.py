"""The harness under the Discord tests: real discord.py objects (Client, CommandTree,
Interaction) driven by interaction payloads, answering through the fake REST API. This
checks the plumbing alone, with a throwaway command tree; the /news commands are tested
in test_commands.py and the following files."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.http import Route

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_interactions import MANAGE_CHANNELS, slash

TOKEN = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhIjKl.fake-token-for-the-local-server-only-x"


async def test_a_slash_command_is_answered_through_the_fake(local_server) -> None:  # type: ignore[no-untyped-def]
    original = Route.BASE
    fake = FakeDiscord(token=TOKEN)
    Route.BASE = f"{await local_server(fake.app())}/api/v10"
    client = discord.Client(intents=discord.Intents.none())
    tree = app_commands.CommandTree(client)
    group = app_commands.Group(name="news", description="news digests")

    @group.command(name="list", description="this channel's subscriptions")
    async def list_command(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"channel {interaction.channel_id}, manage channels: "
            f"{interaction.permissions.manage_channels}, locale {interaction.locale.value}",
            ephemeral=True,
        )

    @group.command(name="subscribe", description="subscribe")
    async def subscribe(interaction: discord.Interaction, category: str) -> None:
        await interaction.response.send_message(category)

    @subscribe.autocomplete("category")
    async def categories(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=c, value=c)
            for c in ("climate", "markets")
            if c.startswith(current)
        ]

    tree.add_command(group)
    try:
        await client.login(TOKEN)
        await tree.sync()
        assert [c["name"] for c in fake.synced["global"]] == ["news"]
        await tree._call(
            discord.Interaction(
                data=slash("news", "list", permissions=MANAGE_CHANNELS, locale="vi"),
                state=client._connection,
            )
        )
        await tree._call(
            discord.Interaction(
                data=slash("news", "subscribe", {"category": "cl"}, autocomplete="category"),
                state=client._connection,
            )
        )
    finally:
        await client.close()
        Route.BASE = original
    reply, choices = fake.responses
    assert reply["type"] == 4 and reply["data"]["flags"] == 64  # ephemeral
    assert reply["data"]["content"] == "channel 600, manage channels: True, locale vi"
    assert choices["type"] == 8
    assert choices["data"]["choices"] == [{"name": "climate", "value": "climate"}]
