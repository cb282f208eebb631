"""What the core hands to a platform: rendered messages, and the Sender protocol that
every platform adapter implements (Telegram, Discord, the console, test recorders)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class OutgoingMessage:
    """One message ready to send.

    ``text`` is Telegram HTML (``parse_mode="HTML"``), Discord markdown content, or plain
    text; ``embeds`` are Discord embeds in the API's JSON shape. ``story_ids`` lists the
    stories this part carries, so delivery can record a multi-part digest part by part.
    """

    text: str = ""
    parse_mode: str | None = None
    embeds: tuple[dict[str, Any], ...] = ()
    story_ids: tuple[int, ...] = ()
    disable_preview: bool = True
    template: str = ""


@dataclass(frozen=True)
class Destination:
    """Where a message goes on its platform."""

    platform: str
    chat_id: str
    thread_id: str | None = None
    # A role to ping with this message (a Discord channel's breaking-news role): the only
    # mention a message may ever make.
    ping_role: str | None = None


class Sender(Protocol):
    """Sends messages to one platform. Implementations raise the delivery errors of
    ``digests.delivery_errors`` rather than their library's own."""

    platform: str

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        """Send one message; return the platform's id for it once the platform accepted it."""
        ...


# The longest plain text each platform takes in one message (Telegram 4096, Discord 2000).
PLAIN_TEXT_LIMIT = {"telegram": 4000, "discord": 2000}


def as_plain(message: OutgoingMessage, limit: int = 4000) -> OutgoingMessage:
    """The same message without markup: the fallback when a platform rejects the markup."""
    import re
    from dataclasses import replace
    from html import unescape

    parts = [message.text] if message.text else []
    for embed in message.embeds:
        parts.extend(str(embed.get(k, "")) for k in ("title", "description") if embed.get(k))
    text = "\n\n".join(parts)
    if message.parse_mode == "HTML":
        text = unescape(re.sub(r"<[^>]*>", "", text))
    elif message.embeds:
        # Discord markdown: drop the link syntax and escapes, keep the words and URLs
        # (and an article's own backslashes).
        from digests.render.markup import discord_plain

        text = discord_plain(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return replace(message, text=text, parse_mode=None, embeds=())
