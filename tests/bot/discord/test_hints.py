"""Issue 19 item 10 on Discord: every reply that names a command names it as Discord shows
it (``/news time time:07:30``, ``/news frequency how:weekly day:monday``), never in
Telegram's form (``/time 07:30``). Each reply is collected from the real commands."""

from __future__ import annotations

import re
from typing import Any

from digests.flood import Admission, FloodLimits
from digests.models import Category
from tests.bot.discord.conftest import Bot
from tests.fakes.discord_interactions import MANAGE_CHANNELS, slash

# Every "/word" in a reply: on Discord the only command is /news.
COMMAND = re.compile(r"(?<![\w/<:])/([a-z_]+)")
# A value typed as a bare word after "/news <subcommand>" (Telegram's form) rather than as
# an option (name:value): a time, all, a frequency, a language, off, a zone.
BARE = re.compile(
    r"/news [a-z-]+(?: [a-z]+:\S+)* (?:\d|all\b|daily|weekdays|weekly|monday|en\b|vi\b|off\b"
    r"|[A-Z][a-z]+/)"
)

TRIES: list[tuple[str, dict[str, Any]]] = [
    ("time", {"time": "25:99"}),
    ("time", {"time": "7"}),
    ("timezone", {"zone": "Asia/Hanoy"}),
    ("timezone", {"zone": "GMT+7"}),
    ("frequency", {"how": "weekly"}),
    ("subscribe", {"category": "sport"}),
    ("unsubscribe", {"category": "sport"}),
    ("filter", {"category": "markets", "keywords": "heat"}),
    ("filter", {"category": "climate", "keywords": ",,,"}),
    ("subscribe", {"category": "climate"}),
    ("filter", {"category": "climate", "keywords": "heat"}),
    ("unsubscribe", {"category": "all"}),
    ("list", {}),
    ("digest", {}),
    ("pause", {}),
    ("list", {}),
    ("resume", {}),
    ("language", {"language": "vi"}),
    ("language", {"language": "en"}),
    ("categories", {}),
]


async def test_every_hint_names_discord_commands_with_their_options(discord_bot: Bot) -> None:
    # One member runs 21 commands here in well under a second: lift the flood limits, which
    # would answer the excess with "slow down" (tested in test_flood).
    discord_bot.client.flood.admission = Admission(
        FloodLimits(chat_per_minute=1e6, chat_burst=1e6, user_per_minute=1e6, user_burst=1e6)
    )
    replies = []
    for command, options in TRIES:
        answer = await discord_bot.run(slash("news", command, options, permissions=MANAGE_CHANNELS))
        replies.append((command, str(answer["data"].get("content", ""))))
    for number in range(30):  # too many categories for buttons: the picker is text
        await discord_bot.store.upsert_category(Category(f"topic-{number}", f"Topic {number}"))
    answer = await discord_bot.run(slash("news", "categories"))
    replies.append(("categories", str(answer["data"].get("content", ""))))
    assert not [text for _, text in replies if text.startswith("Slow down")]
    named = 0
    for command, text in replies:
        for word in COMMAND.findall(text):
            assert word == "news", (command, text)
            named += 1
        assert not BARE.search(text), (command, text)
    assert named >= 4
