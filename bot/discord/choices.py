"""What the ``/news`` options offer: the fixed choices (frequencies, days, languages) and
the autocomplete callbacks (categories, the channel's own subscriptions, time zones).

A leaf of the command modules: reader, server and admin commands all take their choices
from here, so none of them imports another."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands

from bot.discord.context import ctx_of, find, language_of, place_of
from bot.discord.session import AUTOCOMPLETE_LIMIT, AUTOCOMPLETE_WAIT_S
from bot.discord.translator import _
from digests.i18n import t
from digests.schedule import WEEKDAYS
from digests.zones import zone_choices

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
    """Every category whose slug or name contains what was typed. Autocomplete cannot be
    deferred and fires on every keystroke: the categories come from the cache, and a busy
    store is waited on only briefly when nothing is cached yet (``session.ChoiceCache``)."""
    typed = current.strip().lower()
    ctx = ctx_of(interaction)
    return [
        app_commands.Choice(name=f"{c.name} ({c.slug})"[:100], value=c.slug)
        for c in await ctx.choices.categories_now(ctx.store)
        if typed in c.slug or typed in c.name.lower()
    ][:AUTOCOMPLETE_LIMIT]


async def chat_of(interaction: discord.Interaction) -> tuple[tuple[str, ...], str] | None:
    """The channel's categories and language as last seen, or read now if the store
    answers within the autocomplete's wait; None when unknown (a busy store)."""
    ctx = ctx_of(interaction)
    chat_id, _ = place_of(interaction)
    seen = ctx.choices.chat(chat_id)
    if seen is not None:
        return seen
    try:
        subscriber = await asyncio.wait_for(find(interaction), AUTOCOMPLETE_WAIT_S)
    except TimeoutError:
        return None
    if subscriber is None:
        return ((), language_of(interaction, None))
    ctx.choices.remember(chat_id, subscriber.categories, subscriber.language)
    return subscriber.categories, subscriber.language


async def subscribed_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The channel's own categories, for unsubscribe and filter (every category when the
    store is too busy to say which: the command still checks)."""
    chat = await chat_of(interaction)
    found = await category_choices(interaction, current)
    if chat is None:
        return found
    mine = set(chat[0])
    return [c for c in found if c.value in mine]


async def unsubscribe_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The choice of every category at once, then the channel's own."""
    chat = await chat_of(interaction)
    language = chat[1] if chat is not None else language_of(interaction, None)
    everything = app_commands.Choice(name=t(language, "all categories"), value="all")
    found = await subscribed_choices(interaction, current)
    return [everything, *found][:AUTOCOMPLETE_LIMIT]


async def timezone_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    ctx = ctx_of(interaction)
    return [
        app_commands.Choice(name=zone, value=zone)
        for zone in ctx.choices.zones(current, ctx.clock.now(), zone_choices)
    ]
