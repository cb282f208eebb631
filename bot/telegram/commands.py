"""The Telegram bot's commands and their descriptions (registered with setMyCommands in
English and Vietnamese)."""

from __future__ import annotations

from telegram import BotCommand

from digests.i18n import gettext

# (command, description msgid); descriptions are translated per language.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "welcome and category picker"),
    ("help", "what I can do"),
    ("categories", "choose your categories"),
    ("subscribe", "subscribe to categories by name"),
    ("unsubscribe", "unsubscribe from categories, or all"),
    ("mysubs", "show your subscriptions and schedule"),
    ("time", "set the time of your digest (HH:MM)"),
    ("timezone", "set your time zone (e.g. Asia/Ho_Chi_Minh)"),
    ("frequency", "daily, weekdays or weekly"),
    ("digest", "preview your digest now"),
    ("filter", "only stories with certain keywords"),
    ("pause", "stop and restart your digests"),
    ("resume", "receive digests again"),
    ("language", "English or Vietnamese"),
    ("forget", "delete everything stored about this chat"),
)


def bot_commands(language: str) -> list[BotCommand]:
    return [BotCommand(name, gettext(language, description)) for name, description in COMMANDS]
