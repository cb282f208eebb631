"""The ``/news`` command tree, with the one check every command passes first: a DM reader
whose digests were stopped because Discord refused them (DMs closed) and who uses the bot
again is taken back (``context.welcome_back``), and the command's reply says so; buttons
do the same through ``context.allowed``.

Only DMs: a server channel stopped for missing permissions comes back with ``/news
resume``, which checks the bot can post there again."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands

from bot.discord.context import welcome_back
from bot.discord.timely import TimelyResponse
from digests.echo import excerpt

log = logging.getLogger(__name__)

WORK_SLOTS = 32  # commands running at once
# A command arriving behind this many others is deferred at once (``take_turn``).
DEFER_BEHIND = 64


class DigestTree(app_commands.CommandTree[Any]):
    def __init__(self, client: discord.Client, *, slots: int = WORK_SLOTS) -> None:
        super().__init__(client)
        # Commands run ``slots`` at a time, the rest wait their turn in arrival order: a
        # burst of thousands started at once would share the event loop so thinly that
        # even their acknowledgements (``timely``) came late.
        self.slots = asyncio.Semaphore(slots)
        self.backlog = 0  # commands waiting for a slot or running

    async def _call(self, interaction: discord.Interaction, /) -> None:
        """An autocomplete request whose focused option the command does not complete (a
        modified client) gets no suggestions: discord.py would log a traceback and leave
        it unanswered. (``_call`` is the one place the tree resolves the command first.)
        Autocomplete answers at once; a command takes its turn (``take_turn``)."""
        if interaction.type is discord.InteractionType.autocomplete:
            command, options = self._get_app_command_options(interaction.data)  # type: ignore[arg-type]
            focused = next((o.get("name") for o in options if o.get("focused")), None)
            if not completes(command, focused):
                log.warning(
                    "autocomplete for an option that has none: %s", excerpt(str(focused), 40)
                )
                await interaction.response.autocomplete([])
                return
            await super()._call(interaction)
            return
        await self.take_turn(interaction)

    async def take_turn(self, interaction: discord.Interaction) -> None:
        """Run the command when a slot is free. Behind a backlog it is acknowledged at
        once (a deferral, while its 3 s are young) rather than when its budget runs out:
        its answer would come late anyway, and acknowledgements bunched at the budget
        would crowd the loop together."""
        self.backlog += 1
        try:
            response = interaction.response
            if self.backlog > DEFER_BEHIND and isinstance(response, TimelyResponse):
                response.defer_now()
            async with self.slots:
                if isinstance(response, TimelyResponse):
                    await response.acks_first()
                await super()._call(interaction)
        finally:
            self.backlog -= 1

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if (
            interaction.guild_id is None
            and interaction.type is discord.InteractionType.application_command
        ):
            await welcome_back(interaction)
        return True


def completes(command: object, option: object) -> bool:
    """Whether ``command`` has an option named ``option`` (as Discord names it) that
    offers suggestions."""
    if not isinstance(command, app_commands.Command) or not isinstance(option, str):
        return False
    return any(p.display_name == option and p.autocomplete for p in command.parameters)
