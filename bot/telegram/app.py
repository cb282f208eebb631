"""Build the python-telegram-bot Application: the handlers of every module of
``bot.telegram`` assembled in one place, paced requests, digestbot's context type, and the
commands registered with setMyCommands."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.telegram import admin, buttons, keyboards, membership, reader, subscribe_links
from bot.telegram.commands import COMMANDS, bot_commands
from bot.telegram.context import CONTEXT_TYPES, BotContext, DigestContext
from bot.telegram.flood import ChatLanes
from bot.telegram.ratelimit import PacerRateLimiter
from digests import actions
from digests.i18n import SUPPORTED_LANGUAGES
from digests.pacing import Pacer
from digests.safejson import find_problem

log = logging.getLogger(__name__)

# New messages and channel posts only: an edited command is not run a second time.
FRESH = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
# The guard runs before every other handler (lower groups first).
GUARD_GROUP = -1
# After the handlers of group 0: a reader who blocked the bot and writes again.
WELCOME_BACK_GROUP = 1


def handlers() -> dict[int, list[BaseHandler[Any, DigestContext, Any]]]:
    """Every handler by group, each group's in the order they are tried: commands, then
    chat events, then the catch-all for unknown commands; buttons by kind, then the
    catch-all for stale ones. After them (a group of its own, so it runs beside whichever
    handled the update), a reader who blocked the bot and writes again is welcomed back."""
    commands = {
        "start": reader.start,
        "help": reader.help_command,
        "categories": reader.categories,
        "mysubs": reader.mysubs,
        "digest": reader.digest,
        "forget": reader.forget,
        "stats": admin.stats,
        "breaking": admin.breaking_command,
        **{name: reader.changing(name) for name in actions.CHANGES},
    }
    main: list[BaseHandler[Any, DigestContext, Any]] = [
        *(CommandHandler(name, callback, filters=FRESH) for name, callback in commands.items()),
        MessageHandler(filters.StatusUpdate.MIGRATE, membership.migrated),
        MessageHandler(filters.COMMAND & FRESH, reader.unknown),
        *(
            CallbackQueryHandler(buttons.always_answered(callback), pattern=pattern)
            for callback, pattern in (
                (buttons.category_pressed, keyboards.CATEGORY),
                (buttons.page_pressed, keyboards.CATEGORY_PAGE),
                (buttons.zone_pressed, keyboards.ZONE),
                (buttons.digest_now_pressed, keyboards.DIGEST_NOW),
                (buttons.forget_pressed, keyboards.FORGET),
                (buttons.push_pressed, keyboards.PUSH),
                (buttons.push_cancel_pressed, keyboards.PUSH_CANCEL),
            )
        ),
        CallbackQueryHandler(buttons.stale_pressed),
        ChatMemberHandler(membership.membership, ChatMemberHandler.MY_CHAT_MEMBER),
    ]
    return {0: main, WELCOME_BACK_GROUP: [TypeHandler(Update, membership.written_again)]}


def build_application(
    ctx: BotContext, token: str, base_url: str, pacer: Pacer, *, lanes: ChatLanes | None = None
) -> Application:  # type: ignore[type-arg]
    """The application; updates run in one lane per chat, with flood limits (``lanes``: a
    test's own ChatLanes, on a fake clock)."""
    lanes = lanes or ChatLanes()
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .rate_limiter(PacerRateLimiter(pacer))
        .concurrent_updates(lanes)
        .context_types(CONTEXT_TYPES)
        .build()
    )
    lanes.application = application
    application.bot_data.ctx = ctx
    application.add_handler(TypeHandler(Update, drop_unreadable), group=GUARD_GROUP)
    application.add_handlers(handlers())
    application.add_error_handler(on_error)
    return application


async def drop_unreadable(update: Update, context: DigestContext) -> None:
    """An update with text no reply could carry back (a lone surrogate, which JSON can
    encode and UTF-8 cannot) goes no further: a handler echoing it would fail to send.
    A button press is still acknowledged, so the reader's button stops spinning, and a
    subscribe link's /start is told the link does not work (it came from a web page)."""
    problem = find_problem(update.to_dict())
    if problem is None:
        return
    log.warning("Telegram update %s dropped: %s", update.update_id, problem)
    if update.callback_query is not None:
        await update.callback_query.answer()
    elif subscribe_links.is_link_start(update.message) and not reader.addressed_elsewhere(
        update.message, context.bot.username
    ):
        await subscribe_links.unreadable(update, context)
    raise ApplicationHandlerStop


async def on_error(update: object, context: DigestContext) -> None:
    log.error("error while handling a Telegram update: %s", context.error, exc_info=context.error)


async def register_commands(application: Application) -> None:  # type: ignore[type-arg]
    """setMyCommands for the default (English) and each other language."""
    await application.bot.set_my_commands(bot_commands("en"))
    for language in SUPPORTED_LANGUAGES:
        if language != "en":
            await application.bot.set_my_commands(bot_commands(language), language_code=language)


__all__ = ["COMMANDS", "BotContext", "build_application", "register_commands"]
