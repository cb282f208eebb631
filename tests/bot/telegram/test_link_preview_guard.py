"""``link_preview`` asks Telegram only for a preview it can give (issue 18): a preview
link that is not an http(s) address of at most 2,048 characters with a well-formed host
(a message stored in the outbox by an older version, or built by another caller) turns
into previews off, so the message is not refused for its preview."""

from __future__ import annotations

import pytest
from telegram import LinkPreviewOptions

from bot.telegram.sender import link_preview
from digests.outgoing import OutgoingMessage

GOOD = "https://www.news.example/lead?utm_source=digestbot&utm_medium=telegram"


def test_a_good_preview_link_is_previewed_large_above_the_text() -> None:
    options = link_preview(OutgoingMessage(text="x", preview_url=GOOD))
    assert options == LinkPreviewOptions(url=GOOD, prefer_large_media=True, show_above_text=True)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "\x01javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "https:",
        "https:///x",
        "//www.news.example/lead",
        "https://www.news.example/" + "a" * 2100,
        'https://"><b>.news.example/x',
        " https://www.news.example/lead",
        "http://[::1",
    ],
)
def test_a_preview_link_telegram_cannot_take_means_previews_off(url: str) -> None:
    options = link_preview(OutgoingMessage(text="x", preview_url=url))
    assert options == LinkPreviewOptions(is_disabled=True)
