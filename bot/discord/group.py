"""The ``/news`` command group and the buttons, assembled from their parts (the shape of
Red-DiscordBot's ``mod`` cog): reader and server commands (``commands``), bot-admin
commands (``admin``), buttons (``buttons``). The parts take what they share from the
leaves ``context`` and ``choices`` and never import each other; only this module knows
them all."""

from __future__ import annotations

from discord import app_commands

from bot.discord.admin import add_admin_commands
from bot.discord.buttons import DYNAMIC_ITEMS as BUTTONS
from bot.discord.commands import add_reader_commands, add_server_commands
from bot.discord.translator import _

# Every button kind the client registers, so a button keeps working after a restart.
DYNAMIC_ITEMS = (*BUTTONS,)


def build_group() -> app_commands.Group:
    """A fresh ``/news`` group with every subcommand (one per client)."""
    group = app_commands.Group(
        name="news",
        description=_("news digests: subscribe, schedule, preview"),
        allowed_contexts=app_commands.AppCommandContext(
            guild=True, dm_channel=True, private_channel=False
        ),
        allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
    )
    add_reader_commands(group)
    add_server_commands(group)
    add_admin_commands(group)
    return group
