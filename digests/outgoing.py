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
    # Telegram: preview this link, large and above the text (the lead story's page, whose
    # og:image Telegram draws); the message's other links stay without a preview.
    preview_url: str | None = None


@dataclass(frozen=True)
class Destination:
    """Where a message goes on its platform."""

    platform: str
    chat_id: str
    thread_id: str | None = None
    # A role to ping with this message (a Discord channel's breaking-news role): the only
    # mention a message may ever make.
    ping_role: str | None = None
    # A Discord announcement channel: a message accepted there is then published to the
    # servers that follow the channel (best effort, within Discord's hourly limit).
    publish: bool = False


class Sender(Protocol):
    """Sends messages to one platform. Implementations raise the delivery errors of
    ``digests.delivery_errors`` rather than their library's own."""

    platform: str

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        """Send one message; return the platform's id for it once the platform accepted it."""
        ...
