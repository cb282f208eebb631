"""How a server's manager brings the bot in: the install URL (OAuth2, built by discord.py)
and the ``/news subscribe`` command to type in the channel afterwards.

Discord tells nobody about an install unless an OAuth callback server receives it, so an
install cannot be traced to the link that led to it: Discord sign-ups show up as new
subscribed channels, not per link.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import discord

from bot.discord.settings import APPLICATION_ID
from bot.discord.spelling import SPELLING

# What delivery needs in a channel and its threads, and nothing more: publishing the bot's
# own messages in an announcement channel needs only Send Messages.
INSTALL_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
)
# ``applications.commands`` registers the /news commands in the server with the bot.
INSTALL_SCOPES = ("bot", "applications.commands")


def install_url(application_id: str) -> str:
    """The URL that adds the bot to a server; ValueError when the id is not a snowflake
    (only the settings' and Discord's own ids reach here, but a URL is no place to find out)."""
    if not re.fullmatch(APPLICATION_ID, application_id):
        raise ValueError("a Discord application id is 1-20 digits")
    return discord.utils.oauth_url(
        application_id, permissions=INSTALL_PERMISSIONS, scopes=INSTALL_SCOPES
    )


def subscribe_command(categories: Sequence[str]) -> str:
    """What to type in the channel once the bot is in: ``/news subscribe category:a,b``
    (the command accepts several slugs separated by commas)."""
    return SPELLING.command("subscribe", ",".join(categories))
