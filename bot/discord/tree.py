"""The ``/news`` command tree, with the one check every command passes first: a DM reader
whose digests were stopped because Discord refused them (DMs closed) and who uses the bot
again is taken back (``context.welcome_back``), and the command's reply says so; buttons
do the same through ``context.allowed``.

Only DMs: a server channel stopped for missing permissions comes back with ``/news
resume``, which checks the bot can post there again."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.discord.context import welcome_back


class DigestTree(app_commands.CommandTree[Any]):
    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if (
            interaction.guild_id is None
            and interaction.type is discord.InteractionType.application_command
        ):
            await welcome_back(interaction)
        return True
