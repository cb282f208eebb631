"""Reader replies in Discord's words: the core's replies name Telegram-style commands
(``/time 07:30``); on Discord they are subcommands of ``/news``."""

from __future__ import annotations

import re

# Core command name → the /news subcommand that does the same.
SUBCOMMANDS = {
    "subscribe": "subscribe",
    "unsubscribe": "unsubscribe",
    "mysubs": "list",
    "categories": "categories",
    "time": "time",
    "timezone": "timezone",
    "frequency": "frequency",
    "digest": "digest",
    "filter": "filter",
    "pause": "pause",
    "resume": "resume",
    "language": "language",
    "forget": "forget",
    "help": "help",
    "breaking": "breaking",
    "stats": "stats",
}

# A command starts a word: not inside a URL path or a zone name like Asia/Ho_Chi_Minh.
_COMMAND = re.compile(r"(?<![\w/.:])/(" + "|".join(sorted(SUBCOMMANDS, key=len)[::-1]) + r")\b")


def for_discord(text: str) -> str:
    """``/time 07:30`` → ``/news time 07:30``; everything else unchanged."""
    return _COMMAND.sub(lambda m: f"/news {SUBCOMMANDS[m.group(1)]}", text)
