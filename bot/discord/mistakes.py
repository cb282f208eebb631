"""Forged or stale command data, answered as the member's mistake rather than the bot's:
a value outside an option's choices (a modified client), a subcommand or options that the
synced commands no longer have (commands changed, not synced yet everywhere). The answer
is one line, with the command's choices when a value was wrong; the log gets one short
line that never carries the whole value (``describe_mistake``)."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.discord.spelling import SPELLING
from digests.echo import excerpt
from digests.i18n import t

# Command data that no synced command of this bot sends: a command or option that is not
# (or no longer) there.
STALE_COMMAND = (
    app_commands.CommandNotFound,
    app_commands.CommandSignatureMismatch,
)
# How many characters of a forged value the log keeps.
LOGGED_VALUE_CHARS = 40


def member_mistake(
    interaction: discord.Interaction, error: app_commands.AppCommandError, language: str
) -> str | None:
    """The one-line answer to forged or stale command data, or None for other errors."""
    if isinstance(error, app_commands.TransformerError):
        text = t(language, "That option's value is not one of its choices.")
        usage = choices_usage(interaction.command)
        if usage:
            text += " " + t(language, "Choose from the list: %(usage)s", usage=usage)
        return text
    if isinstance(error, STALE_COMMAND):
        return t(language, "This command changed; try again in a minute.")
    return None


def choices_usage(command: Any) -> str:
    """``/news frequency how:daily|weekdays|weekly day:monday|…``: the command's options
    that have choices, in Discord's option syntax (empty when none has)."""
    if not isinstance(command, app_commands.Command):
        return ""
    options = [
        f"{p.name}:" + "|".join(str(c.value) for c in p.choices)
        for p in command.parameters
        if p.choices
    ]
    if not options:
        return ""
    return " ".join([SPELLING.prefix + command.name, *options])


def describe_mistake(error: app_commands.AppCommandError) -> str:
    """What was wrong, for the log, without the value's whole text."""
    if isinstance(error, app_commands.TransformerError):
        value = excerpt(str(error.value), LOGGED_VALUE_CHARS)
        return f"{error.type.name} option value {value!r} not accepted"
    if isinstance(error, app_commands.CommandNotFound):
        return f"unknown command {excerpt(' '.join([*error.parents, error.name]), 60)!r}"
    if isinstance(error, app_commands.CommandSignatureMismatch):
        return f"options of {excerpt(error.command.qualified_name, 60)!r} do not match"
    return type(error).__name__
