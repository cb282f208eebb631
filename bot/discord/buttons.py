"""The reader's buttons under the bot's messages (the category picker, the forget
confirmation), as DynamicItems: their custom ids carry what they act on
(``news:cat:climate``), so they keep working after a restart and hold no state. The
breaking-push buttons are in ``push``, with the steps they call."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.discord.context import (
    actor_of,
    allowed,
    check_manages_channel,
    ctx_of,
    draft,
    find,
    language_of,
    note_announcement,
    place_of,
    posting_warning,
    reply,
    with_note,
)
from bot.discord.spelling import SPELLING
from bot.discord.timely import gone_noted
from digests import actions
from digests.confirm import Outcome
from digests.i18n import t
from digests.models import Subscriber
from digests.store import Store

MAX_BUTTONS = 25  # 5 rows of 5: Discord's limit for one message
Button = discord.ui.Button[Any]
# A picker button carries the state it asks for (``:1`` subscribe, ``:0`` leave), so a
# double tap subscribes once; an id without it (a picker sent before) still toggles.
CATEGORY_ID = r"news:cat:(?P<slug>[a-z0-9-]{1,48})(?::(?P<wanted>[01]))?"
# "yes" carries the token of the /news forget that asked; a "yes" without one (a button
# from before tokens, or forged) is answered as expired and deletes nothing.
FORGET_ID = r"news:forget:(?P<answer>yes|no)(?::(?P<token>[\w-]{1,20}))?"


class CategoryButton(discord.ui.DynamicItem[Button], template=CATEGORY_ID):
    """One category of the picker: pressing it subscribes or unsubscribes the channel."""

    def __init__(
        self, slug: str, label: str = "", subscribed: bool = False, wanted: bool | None = None
    ) -> None:
        """``subscribed``: how the button shows; ``wanted``: what a press asks for (the
        opposite of what it shows; None for an old id without it, which toggles)."""
        state = "" if wanted is None else f":{int(wanted)}"
        super().__init__(
            discord.ui.Button(
                label=(label or slug)[:80],
                emoji="✅" if subscribed else None,
                style=discord.ButtonStyle.success if subscribed else discord.ButtonStyle.secondary,
                custom_id=f"news:cat:{slug}{state}",
            )
        )
        self.slug = slug
        self.wanted = wanted

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CategoryButton:
        wanted = match["wanted"]
        return cls(match["slug"], wanted=None if wanted is None else wanted == "1")

    @gone_noted
    async def callback(self, interaction: discord.Interaction) -> None:
        if not await allowed(interaction, check_manages_channel(interaction)):
            return
        ctx = ctx_of(interaction)
        subscriber = await draft(interaction)
        now, by = ctx.clock.now(), actor_of(interaction)
        if self.wanted is None:
            text = await actions.toggle(ctx.store, subscriber, self.slug, now=now, by=by)
        else:
            text = await actions.choose(
                ctx.store, subscriber, self.slug, self.wanted, now=now, by=by
            )
        refreshed = await find(interaction)
        if refreshed is not None and self.slug in refreshed.categories:
            text += posting_warning(interaction, refreshed.language)
            # Recorded here too: a channel subscribed only through the picker would
            # otherwise wait for the next ready or CHANNEL_UPDATE to be published.
            text += await note_announcement(interaction, refreshed, refreshed.language)
        await interaction.response.edit_message(
            content=with_note(interaction, text), view=await category_view(ctx.store, refreshed)
        )


async def category_view(store: Store, subscriber: Subscriber | None) -> discord.ui.View | None:
    """The picker: one button per category (None when there are too many for buttons)."""
    toggles = await actions.category_toggles(store, subscriber)
    if not toggles or len(toggles) > MAX_BUTTONS:
        return None
    view = discord.ui.View(timeout=None)
    for toggle in toggles:
        view.add_item(
            CategoryButton(toggle.slug, toggle.name, toggle.subscribed, not toggle.subscribed)
        )
    return view


class ForgetButton(discord.ui.DynamicItem[Button], template=FORGET_ID):
    """The answer to /news forget: "yes" deletes only with the token of a /news forget
    asked in this channel, still fresh, pressed by whoever may confirm it (the asker in a
    DM, any manager of a server channel)."""

    def __init__(self, answer: str, label: str = "", token: str = "") -> None:
        suffix = f":{token}" if token else ""
        super().__init__(
            discord.ui.Button(
                label=label or answer,
                style=discord.ButtonStyle.danger
                if answer == "yes"
                else discord.ButtonStyle.secondary,
                custom_id=f"news:forget:{answer}{suffix}",
            )
        )
        self.answer = answer
        self.token = token

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ForgetButton:
        return cls(match["answer"], token=match["token"] or "")

    @gone_noted
    async def callback(self, interaction: discord.Interaction) -> None:
        if not await allowed(interaction, check_manages_channel(interaction)):
            return
        ctx = ctx_of(interaction)
        subscriber = await find(interaction)
        language = language_of(interaction, subscriber)
        chat, _ = place_of(interaction)
        # The manager check above ran already: in a server channel any manager may confirm.
        # "No" takes the token too (when it is theirs to take), so a stale or replayed "yes"
        # of a request answered "no" deletes nothing.
        outcome = ctx.confirmations.take(
            self.token, chat, actor_of(interaction), True, ctx.clock.now()
        )
        if self.answer != "yes":
            await interaction.response.edit_message(
                content=t(language, "Nothing was deleted."), view=None
            )
            return
        if outcome is not Outcome.OK:
            await reply(interaction, refusal(outcome, language))
            return
        if subscriber is None:
            text = t(language, "There was nothing stored about this chat.")
        else:
            text = await actions.forget(
                ctx.store, subscriber, by=actor_of(interaction), now=ctx.clock.now()
            )
        if interaction.guild_id is None:
            # In a DM the member forgets themselves: their id goes from the channels they
            # set up in servers too (the channels keep their digests).
            channels = await ctx.store.forget_user("discord", str(interaction.user.id))
            text += "\n" + forgotten_member(language, channels)
        await interaction.response.edit_message(content=text, view=None)


def refusal(outcome: Outcome, language: str) -> str:
    if outcome is Outcome.REFUSED:
        return t(language, "This confirmation is not yours.")
    return t(
        language,
        "This confirmation has expired: run %(command)s again.",
        command=SPELLING.command("forget"),
    )


def forgotten_member(language: str, channels: int) -> str:
    """What a DM forget did beyond the DM: what it removed, and what it keeps."""
    return t(
        language,
        "Your id was removed from the %(count)d server channels you set up (they keep "
        "their digests). The audit log keeps its record of changes made, with who made them.",
        count=channels,
    )


def forget_view(language: str, token: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ForgetButton("yes", t(language, "Yes, delete everything"), token))
    view.add_item(ForgetButton("no", t(language, "No, keep it"), token))
    return view


DYNAMIC_ITEMS = (CategoryButton, ForgetButton)
