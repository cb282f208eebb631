"""Bot-admin commands on Discord (DISCORD_ADMIN_IDS): ``/news breaking`` starts the
breaking-push flow of ``push``; ``/news stats`` shows the bot's figures."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord.choices import category_choices
from bot.discord.context import bot_admin, ctx_of, reply
from bot.discord.push import preview_push
from bot.discord.translator import _
from digests.stats import stats_lines


def add_admin_commands(group: app_commands.Group) -> None:
    """Commands for the bot's administrators only (the ``bot_admin`` check)."""

    @group.command(name="breaking", description=_("push a story to every subscriber now"))
    @app_commands.describe(
        category=_("the category whose subscribers get it"),
        article=_("a stored article's id or URL"),
        title=_("the title, for a URL not stored yet"),
    )
    @app_commands.autocomplete(category=category_choices)
    @bot_admin()
    async def breaking_command(
        interaction: discord.Interaction, category: str, article: str, title: str | None = None
    ) -> None:
        await preview_push(interaction, category.lower(), article.strip(), title)

    @group.command(name="stats", description=_("the bot's figures (bot admins)"))
    @bot_admin()
    async def stats(interaction: discord.Interaction) -> None:
        ctx = ctx_of(interaction)
        lines = await stats_lines(ctx.store, ctx.settings, now=ctx.clock.now())
        await reply(interaction, "\n".join(lines))
