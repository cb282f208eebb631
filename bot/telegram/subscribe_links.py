"""Subscribe links on Telegram: ``t.me/<bot>?start=<payload>`` arrives in a private chat
as ``/start <payload>``, ``?startgroup=<payload>`` in a group as ``/start@<bot>
<payload>``. This module only parses and replies: ``digests.signup`` decides what the
payload names, subscribes the chat and counts its sign-up.

The reply to a tap that subscribed carries the picker (what the link named ticked), the
digest's time with buttons for the time zones readers pick most, and "send today's
digest now"; the buttons' callbacks are in ``bot.telegram.buttons``, behind the same
admin checks and flood admission as every other button. In a group only its
administrators may subscribe it through a link (``may_change``); a member is told who
may, once a minute, and the refusal is audited. A refused payload changes nothing and is
answered with the picker, never echoed.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType

from bot.telegram.context import (
    BotContext,
    DigestContext,
    actor_of,
    audit_refused,
    draft,
    find,
    language_of,
    may_change,
    reply,
)
from bot.telegram.flood import once_a_minute, refusal_key
from bot.telegram.keyboards import category_keyboard, link_keyboard, page_of
from bot.telegram.spelling import SPELLING
from digests import actions, signup
from digests.i18n import t
from digests.models import Subscriber
from digests.zones import COMMON_ZONES

# Time zone buttons under a link's reply: the zones most of the latest chats have, then
# the bot's default, then the zones most readers are in (``digests.zones.COMMON_ZONES``).
LINK_ZONES = 6
GROUP_LINK_REFUSAL = (
    "Only this group's administrators can subscribe it: ask one of them to open the link."
)


def is_link_start(message: Message | None) -> bool:
    """Whether a message is a /start command with a payload (to this bot or any)."""
    words = (message.text or "").split(maxsplit=1) if message is not None else []
    return len(words) == 2 and words[0].partition("@")[0] == "/start"


async def start_link(update: Update, context: DigestContext, payload: str) -> None:
    """``/start <payload>``: subscribe the chat to what the payload names, and answer."""
    ctx = context.digest
    chat = update.effective_chat
    assert chat is not None  # a command always comes from a chat
    if chat.type != ChatType.PRIVATE and not await may_change(update, context):
        await audit_refused(ctx, update, "subscribe", "link opened by a non-admin")
        if once_a_minute(context.application, refusal_key(update)):  # one per member
            language = language_of(ctx, update, await find(ctx, update))
            await reply(ctx, update, t(language, GROUP_LINK_REFUSAL))
        return
    subscriber = await draft(ctx, update)
    now = ctx.clock.now()
    done = await signup.tap(ctx.store, subscriber, payload, now=now, by=actor_of(update))
    if isinstance(done, signup.Refusal):
        await refuse(ctx, update, subscriber, done)
        return
    toggles = await actions.category_toggles(ctx.store, done.subscriber)
    names = {toggle.slug: toggle.name for toggle in toggles}  # the live categories
    language = done.subscriber.language
    text = signup.joined_text(done, names, SPELLING) + "\n\n" + zone_hint(language)
    first = done.target.categories[0]
    markup = await link_markup(ctx, done.subscriber, first, toggles=toggles)
    await reply(ctx, update, text, reply_markup=markup)


async def refuse(
    ctx: BotContext, update: Update, subscriber: Subscriber, refusal: signup.Refusal
) -> None:
    """A payload that names nothing (or no more): say so, and show the picker."""
    toggles = await actions.category_toggles(ctx.store, subscriber)
    await reply(
        ctx,
        update,
        signup.refusal_text(subscriber.language, refusal, SPELLING),
        reply_markup=category_keyboard(toggles),
    )


async def unreadable(update: Update, context: DigestContext) -> None:
    """A /start whose payload no reply could carry back (a lone surrogate): the link does
    not work; nothing is stored."""
    ctx = context.digest
    language = language_of(ctx, update, await find(ctx, update))
    text = signup.refusal_text(language, signup.Refusal.INVALID, SPELLING)
    await reply(ctx, update, text)


def zone_hint(language: str) -> str:
    return t(
        language,
        "Another time zone? Tap yours below, or send %(command)s.",
        command=SPELLING.command("timezone", "Europe/London"),
    )


def digest_now_label(language: str) -> str:
    return t(language, "📰 Send today's digest now")


async def link_zones(ctx: BotContext, subscriber: Subscriber) -> list[str]:
    """The zones offered under a link's reply, the chat's own among them."""
    popular = await ctx.store.popular_zones(LINK_ZONES)
    zones = list(dict.fromkeys([*popular, ctx.settings.default_timezone, *COMMON_ZONES]))
    zones = zones[:LINK_ZONES]
    if subscriber.timezone not in zones:
        zones[-1] = subscriber.timezone
    return zones


async def link_markup(
    ctx: BotContext,
    subscriber: Subscriber,
    shown_slug: str | None,
    *,
    zones: list[str] | None = None,
    page: int | None = None,
    toggles: list[actions.Toggle] | None = None,
) -> InlineKeyboardMarkup:
    """A link reply's keyboard for the chat as it is now: the picker page showing
    ``shown_slug`` (or ``page``), the zones (those given, or ``link_zones``) and the
    digest button. ``toggles`` are the picker's, when the caller has read them already."""
    if toggles is None:
        toggles = await actions.category_toggles(ctx.store, subscriber)
    return link_keyboard(
        toggles,
        page if page is not None else page_of(toggles, shown_slug),
        zones if zones is not None else await link_zones(ctx, subscriber),
        subscriber.timezone,
        digest_now_label(subscriber.language),
    )
