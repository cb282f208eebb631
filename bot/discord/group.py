"""The ``/news`` command group and the button kinds, assembled from their parts (the shape
of Red-DiscordBot's ``mod`` cog, whose parts share only a leaf and one class joins them).

Parts: reader commands (``commands``, with the reader's buttons in ``buttons``), server
commands (``server``), bot-admin commands (``admin``, with the breaking-push flow and its
buttons in ``push``). What they share comes from the leaves ``context`` and ``choices``.
Imports go one way (commands → buttons and server, admin → push, all → leaves); only this
module knows every part."""

from __future__ import annotations

from discord import app_commands

from bot.discord import buttons, push
from bot.discord.admin import add_admin_commands
from bot.discord.commands import add_reader_commands
from bot.discord.server import add_server_commands
from bot.discord.translator import _

# Every button kind the client registers, so a button keeps working after a restart.
DYNAMIC_ITEMS = (*buttons.DYNAMIC_ITEMS, *push.DYNAMIC_ITEMS)


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
