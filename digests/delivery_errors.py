"""Delivery errors every Sender raises instead of its library's own, so the delivery
pipeline handles Telegram, Discord and the console alike."""

from __future__ import annotations

from digests.errors import DigestbotError


class DeliveryError(DigestbotError):
    """A message was not accepted by the platform."""


class RateLimited(DeliveryError):
    """The platform asked us to wait ``retry_after`` seconds (HTTP 429)."""

    def __init__(self, retry_after: float, message: str = "rate limited") -> None:
        super().__init__(f"{message} (retry after {retry_after:g} s)")
        self.retry_after = retry_after


class TransientError(DeliveryError):
    """A time-out, a 5xx or a network failure: worth retrying later."""


class DestinationGone(DeliveryError):
    """The bot may not post there: blocked by the user, kicked, missing permissions, chat or
    channel not found. Repeated, it makes the subscriber inactive (settings kept)."""


class ChatMigrated(DeliveryError):
    """A Telegram group became a supergroup with a new chat id; resend there."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class MessageRejected(DeliveryError):
    """The platform refused this message's content (bad markup, too long): sending the same
    thing again will fail the same way."""
