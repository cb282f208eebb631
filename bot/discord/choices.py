"""What the ``/news`` options offer: the fixed choices (frequencies, days, languages) and
the autocomplete callbacks (categories, the channel's own subscriptions, time zones).

A leaf of the command modules: reader, server and admin commands all take their choices
from here, so none of them imports another."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord.context import ctx_of, find, language_of
from bot.discord.translator import _
from digests.i18n import t
from digests.schedule import WEEKDAYS
from digests.zones import zone_choices

AUTOCOMPLETE_LIMIT = 25  # Discord shows at most 25 choices

FREQUENCIES = [
    app_commands.Choice(name=_("every day"), value="daily"),
    app_commands.Choice(name=_("on weekdays"), value="weekdays"),
    app_commands.Choice(name=_("once a week"), value="weekly"),
]
DAYS = [app_commands.Choice(name=_(day.capitalize()), value=day) for day in WEEKDAYS]
LANGUAGES = [
    app_commands.Choice(name="English", value="en"),
    app_commands.Choice(name="Tiếng Việt", value="vi"),
]


async def category_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Every category whose slug or name contains what was typed."""
    typed = current.strip().lower()
    return [
        app_commands.Choice(name=f"{c.name} ({c.slug})"[:100], value=c.slug)
        for c in await ctx_of(interaction).store.list_categories()
        if typed in c.slug or typed in c.name.lower()
    ][:AUTOCOMPLETE_LIMIT]


async def subscribed_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The channel's own categories, for unsubscribe and filter."""
    subscriber = await find(interaction)
    mine = set(subscriber.categories) if subscriber else set()
    return [c for c in await category_choices(interaction, current) if c.value in mine]


async def unsubscribe_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The choice of every category at once, then the channel's own."""
    language = language_of(interaction, await find(interaction))
    everything = app_commands.Choice(name=t(language, "all categories"), value="all")
    found = await subscribed_choices(interaction, current)
    return [everything, *found][:AUTOCOMPLETE_LIMIT]


async def timezone_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=zone, value=zone)
        for zone in zone_choices(current, AUTOCOMPLETE_LIMIT, now=ctx_of(interaction).clock.now())
    ]
