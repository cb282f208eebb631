"""The plain-text fallback of a rendered message: what delivery resends when a platform
rejects the message's markup (Telegram's HTML, Discord's markdown and embeds)."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape

from digests.outgoing import OutgoingMessage
from digests.render.markup import discord_plain

# The longest plain text each platform takes in one message (Telegram 4096, Discord 2000).
PLAIN_TEXT_LIMIT = {"telegram": 4000, "discord": 2000}


def without_media(message: OutgoingMessage) -> OutgoingMessage | None:
    """The same message without its link preview and embed pictures, or None when it has
    neither: the first fallback when a platform rejects a message, since a chat that
    forbids link previews, or a picture Discord will not take, says nothing of the markup."""
    pictures = any("image" in embed or "thumbnail" in embed for embed in message.embeds)
    if message.preview_url is None and not pictures:
        return None
    embeds = tuple(
        {k: v for k, v in embed.items() if k not in ("image", "thumbnail")}
        for embed in message.embeds
    )
    return replace(message, embeds=embeds, preview_url=None, disable_preview=True)


def as_plain(message: OutgoingMessage, limit: int = 4000) -> OutgoingMessage:
    """The same message without markup: the fallback when a platform rejects the markup."""
    parts = [message.text] if message.text else []
    for embed in message.embeds:
        parts.extend(str(embed.get(k, "")) for k in ("title", "description") if embed.get(k))
    text = "\n\n".join(parts)
    if message.parse_mode == "HTML":
        text = unescape(re.sub(r"<[^>]*>", "", text))
    elif message.embeds:
        # Discord markdown: drop the link syntax and escapes, keep the words and URLs
        # (and an article's own backslashes). Each URL as <url>: Discord would otherwise
        # unfurl the links of the content into page previews with pictures, which the
        # embeds never showed (and DIGEST_PICTURES=off may have turned off).
        text = discord_plain(text, unfurl=False)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    # No link preview either: a preview link Telegram refused would refuse the fallback
    # too, and the reader would lose the message for the sake of its picture.
    return replace(
        message, text=text, parse_mode=None, embeds=(), preview_url=None, disable_preview=True
    )
