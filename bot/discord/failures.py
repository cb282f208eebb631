"""What the ``/news`` command tree does with a command that raised: a refusal is shown to
the asker, forged or stale command data gets one short line, an interaction that can no
longer be answered is logged briefly, and anything else is logged and the asker told."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.discord.context import NotAllowed, language_of, reply
from bot.discord.mistakes import describe_mistake, member_mistake
from bot.discord.timely import GONE, LATE
from digests.echo import excerpt
from digests.i18n import t

log = logging.getLogger(__name__)


GONE_INTERACTION = GONE


async def on_command_error(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    """Refusals are shown to the asker; anything else is logged and the asker told."""
    if isinstance(error, app_commands.CommandInvokeError) and isinstance(
        error.original, NotAllowed
    ):
        error = error.original
    if isinstance(error, NotAllowed):
        await reply(interaction, str(error))
        return
    original = getattr(error, "original", error)
    if isinstance(original, discord.HTTPException) and original.code in GONE_INTERACTION:
        # Answered after Discord's 3 s (or twice): nothing can be said to the member any
        # more, and a traceback per late answer would only slow the next ones down.
        LATE.note(
            "a Discord interaction could not be answered (%s %s): %s",
            original.code,
            original.text,
            interaction.command.qualified_name if interaction.command else "?",
        )
        return
    mistake = member_mistake(interaction, error, language_of(interaction, None))
    if mistake is not None:
        # Forged or stale command data (a modified client, commands not synced yet): the
        # member's mistake, not the bot's; one short line, never the whole value.
        log.warning("a Discord command was refused: %s", excerpt(describe_mistake(error), 200))
        try:
            if interaction.type is discord.InteractionType.autocomplete:
                # Autocomplete is answered with suggestions only: none.
                await interaction.response.autocomplete([])
                return
            await reply(interaction, mistake)
        except (discord.HTTPException, discord.RateLimited) as exc:
            log.info("could not answer a refused command: %s", exc)
        return
    log.error("a Discord command failed: %s", error, exc_info=error)
    language = language_of(interaction, None)
    try:
        await reply(interaction, t(language, "Something went wrong; please try again."))
    except (discord.HTTPException, discord.RateLimited):
        log.warning("could not tell the member that the command failed")
