"""The plain-text fallback of a Discord message (sent when Discord refuses the embeds)
shows the article's text as it was: its own backslashes, brackets and stars included."""

from __future__ import annotations

import pytest

from digests.render import Presentation, Renderer
from digests.render.markup import discord_escape, discord_plain
from digests.render.plain import PLAIN_TEXT_LIMIT, as_plain
from tests.conftest import ArticleFactory
from tests.digests.render.test_render import digest_of

TITLE = r"Paths like C:\Users\news and \\server\share: *not* bold [1] (a_b) # 1. \n"
SUMMARY = r"Regex \d+\.\d+ and a lone \ backslash; 2\3 of ~~readers~~ > quote `code`"


@pytest.mark.parametrize(
    "text",
    [TITLE, SUMMARY, "\\", "\\\\", "a\\*b", "[x](y) \\[x\\]\\(y\\)", "- list", "1. first"],
)
def test_escaped_article_text_reads_back_the_same(text: str) -> None:
    assert discord_plain(discord_escape(text)) == " ".join(text.split())


def test_links_and_bold_become_plain_text() -> None:
    escaped = discord_escape(r"A [b] \c")
    markdown = f"**[{escaped}](https://x.example/a%28b%29)** · [Src\\_1](https://s.example)"
    assert discord_plain(markdown) == (
        r"A [b] \c (https://x.example/a%28b%29) · Src_1 (https://s.example)"
    )


def test_the_fallback_of_a_discord_digest_keeps_backslashes(
    make_article: ArticleFactory,
) -> None:
    plan = digest_of([make_article(title=TITLE, summary=SUMMARY, source=r"Back\Slash News")])
    (message,) = Renderer().render_digest(plan, "discord", Presentation())
    assert message.embeds
    plain = as_plain(message, PLAIN_TEXT_LIMIT["discord"])
    assert not plain.embeds
    for original in (TITLE, SUMMARY, r"Back\Slash News"):
        assert " ".join(original.split()) in plain.text
    assert "**" not in plain.text and "](" not in plain.text
