"""Reader replies name Discord's /news subcommands."""

from __future__ import annotations

import pytest

from bot.discord.replies import for_discord


@pytest.mark.parametrize(
    ("core", "discord"),
    [
        ("e.g. /time 07:30", "e.g. /news time 07:30"),
        ("Use /mysubs or /categories.", "Use /news list or /news categories."),
        ("/timezone Asia/Ho_Chi_Minh", "/news timezone Asia/Ho_Chi_Minh"),
        ("/unsubscribe all", "/news unsubscribe all"),
        # Not commands: URLs, zone names, words that merely start like one.
        ("https://x.example/time/filter", "https://x.example/time/filter"),
        ("America/Resume_Town", "America/Resume_Town"),
        ("/timely news", "/timely news"),
    ],
)
def test_commands_become_news_subcommands(core: str, discord: str) -> None:
    assert for_discord(core) == discord
