"""``bot.links`` (issue 18 red team): an identity set to what no link can be made of is
named in the notes (and in /api/links' ``missing``), not left out without a word."""

from __future__ import annotations

from bot.links import LinkTarget, build_links, missing_settings
from bot.wiring import Identity

TARGET = LinkTarget("category", "climate", "Climate", ("climate",))


def test_an_application_id_of_other_digits_is_named() -> None:
    # Python's \d takes Arabic-Indic and other digits, which no Discord id has.
    identity = Identity("DailyDigestBot", "1\u0662\u0663\u0664")
    assert build_links(TARGET, identity).discord_install is None
    assert missing_settings(identity) == [
        "no Discord install link: DISCORD_APPLICATION_ID is not an application id (1-20 digits 0-9)"
    ]


def test_a_username_no_link_takes_is_named() -> None:
    identity = Identity("bot", "1234567890123456789")
    assert build_links(TARGET, identity).telegram is None
    assert missing_settings(identity) == [
        "no Telegram links: TELEGRAM_BOT_USERNAME is not a Telegram username"
    ]


def test_nothing_is_missing_when_every_link_is_made() -> None:
    identity = Identity("DailyDigestBot", "1234567890123456789")
    links = build_links(TARGET, identity)
    assert links.telegram and links.discord_install
    assert missing_settings(identity) == []
