"""The ``/news`` command tree, with the one check every command passes first: a DM reader
whose digests were stopped because Discord refused them (DMs closed) and who uses the bot
again is taken back (``digests.actions.reactivate``), and the command's reply says so.

Only DMs: a server channel stopped for missing permissions comes back with ``/news
resume``, which checks the bot can post there again."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.discord.context import WELCOME_BACK, ctx_of, find
from digests import actions


class DigestTree(app_commands.CommandTree[Any]):
    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if (
            interaction.guild_id is None
            and interaction.type is discord.InteractionType.application_command
        ):
            await welcome_back(interaction)
        return True


async def welcome_back(interaction: discord.Interaction) -> None:
    """Reactivate a returning DM reader; the note waits in the interaction's extras for
    the command's reply (``context.reply`` puts it first)."""
    subscriber = await find(interaction)
    if subscriber is None:
        return
    ctx = ctx_of(interaction)
    note = await actions.reactivate(ctx.store, subscriber, now=ctx.clock.now())
    if note:
        interaction.extras[WELCOME_BACK] = note
