"""Build the python-telegram-bot Application: handlers, paced requests, commands."""

from __future__ import annotations

from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.telegram import handlers
from bot.telegram.commands import COMMANDS, bot_commands
from bot.telegram.ratelimit import PacerRateLimiter
from digests import actions
from digests.i18n import SUPPORTED_LANGUAGES
from digests.pacing import Pacer

# New messages and channel posts only: an edited command is not run a second time.
FRESH = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST


def build_application(
    ctx: handlers.BotContext, token: str, base_url: str, pacer: Pacer
) -> Application:  # type: ignore[type-arg]
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .rate_limiter(PacerRateLimiter(pacer))
        .concurrent_updates(8)
        .build()
    )
    application.bot_data["digestbot"] = ctx
    add = application.add_handler
    add(CommandHandler("start", handlers.start, filters=FRESH))
    add(CommandHandler("help", handlers.help_command, filters=FRESH))
    add(CommandHandler("categories", handlers.categories, filters=FRESH))
    add(CommandHandler("mysubs", handlers.mysubs, filters=FRESH))
    add(CommandHandler("digest", handlers.digest, filters=FRESH))
    add(CommandHandler("forget", handlers.forget, filters=FRESH))
    add(CommandHandler("stats", handlers.stats, filters=FRESH))
    add(CommandHandler("breaking", handlers.breaking_command, filters=FRESH))
    for name in actions.CHANGES:
        add(CommandHandler(name, handlers.changing(name), filters=FRESH))
    add(MessageHandler(filters.StatusUpdate.MIGRATE, handlers.migrated))
    add(MessageHandler(filters.COMMAND & FRESH, handlers.unknown))
    add(CallbackQueryHandler(handlers.button))
    add(ChatMemberHandler(handlers.membership, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(handlers.on_error)
    return application


async def register_commands(application: Application) -> None:  # type: ignore[type-arg]
    """setMyCommands for the default (English) and each other language."""
    await application.bot.set_my_commands(bot_commands("en"))
    for language in SUPPORTED_LANGUAGES:
        if language != "en":
            await application.bot.set_my_commands(bot_commands(language), language_code=language)


__all__ = ["COMMANDS", "build_application", "register_commands"]
