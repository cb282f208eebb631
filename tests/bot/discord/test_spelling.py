"""Replies name Discord's commands as Discord spells them (``/news time time:07:30``),
because the spelling is passed into the core's replies; nothing rewrites the text after."""

from __future__ import annotations

from bot.discord.spelling import SPELLING
from tests.bot.discord.conftest import Bot
from tests.fakes.discord_interactions import MANAGE_CHANNELS, slash


async def test_the_spelling_names_options_the_commands_have(discord_bot: Bot) -> None:
    (news,) = discord_bot.fake.synced["global"]
    subcommands = {o["name"]: [p["name"] for p in o.get("options", [])] for o in news["options"]}
    for command, options in SPELLING.options.items():
        name = SPELLING.names.get(command, command)
        assert list(options) == subcommands[name][: len(options)], command
    for command in SPELLING.names.values():
        assert command in subcommands


async def test_what_a_reader_typed_is_shown_as_typed(discord_bot: Bot) -> None:
    # A text rewriter would have turned the typed "/time" into "/news time".
    text = await discord_bot.text(
        slash("news", "subscribe", {"category": "/time"}, permissions=MANAGE_CHANNELS)
    )
    assert text.startswith("Unknown category: /time. Available:")


async def test_a_vietnamese_usage_hint_names_the_discord_command(discord_bot: Bot) -> None:
    dm = {"guild_id": None, "channel_id": 9003, "locale": "vi"}
    text = await discord_bot.text(slash("news", "time", {"time": "7h sáng"}, **dm))
    assert text == "Hãy ghi giờ theo dạng HH:MM, ví dụ /news time time:07:30"
