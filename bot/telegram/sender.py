"""Send messages to Telegram with python-telegram-bot, translating its errors into the
core's delivery errors (``digests.delivery_errors``)."""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram import Bot, LinkPreviewOptions
from telegram import error as tg
from telegram.request import HTTPXRequest

from bot.logs import redact
from digests.delivery_errors import (
    ChatMigrated,
    DeliveryError,
    DestinationGone,
    MessageRejected,
    RateLimited,
    TransientError,
)
from digests.outgoing import Destination, OutgoingMessage
from digests.pictures import preview_link

# Bad Request descriptions that mean "this chat is not ours to post in any more".
_GONE = (
    "chat not found",
    "user is deactivated",
    "bot was kicked",
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "chat_write_forbidden",
    "message thread not found",
    "topic_closed",
    "topic_deleted",
    "bot is not a member",
)
# Refusals of a message's link preview (a group whose members may not embed links:
# CHAT_SEND_WEBPAGE_FORBIDDEN, which may come as a 403 or with "not enough rights"). The
# chat is still ours: the message is resent as plain text, without the preview, and a
# digest's first message never costs the group its subscription.
_PREVIEW = ("webpage", "web page", "web_page", "link preview", "link_preview")


def classify(exc: tg.TelegramError, token: str | None = None) -> DeliveryError:
    """The delivery error a python-telegram-bot exception stands for. Its text is kept
    (in the outbox, in notes to admins), so the token is redacted from it: a proxy's error
    page can echo the request path, which carries the token."""
    message = redact(exc.message, [token])
    if isinstance(exc, tg.RetryAfter):
        with warnings.catch_warnings():
            # PTB 22 warns that retry_after becomes a timedelta; both shapes are handled.
            warnings.simplefilter("ignore")
            wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return RateLimited(seconds)
    if isinstance(exc, tg.ChatMigrated):
        return ChatMigrated(str(exc.new_chat_id))
    if isinstance(exc, tg.Forbidden | tg.BadRequest) and any(
        marker in message.lower() for marker in _PREVIEW
    ):
        return MessageRejected(message)
    if isinstance(exc, tg.Forbidden):
        return DestinationGone(message)
    if isinstance(exc, tg.BadRequest):
        lowered = message.lower()
        if any(marker in lowered for marker in _GONE):
            return DestinationGone(message)
        return MessageRejected(message)
    if isinstance(exc, tg.InvalidToken):
        return TransientError(f"Telegram refused the bot token: {message}")
    return TransientError(f"{type(exc).__name__}: {message}")


def link_preview(message: OutgoingMessage) -> LinkPreviewOptions | None:
    """The preview a message asks for: its ``preview_url`` large and above the text (a
    digest's lead story), else none when previews are off, else Telegram's own choice."""
    # Checked again here: a message stored in the outbox by an older version, or built by
    # another caller, must not ask Telegram for a preview it refuses with the message.
    if url := preview_link(message.preview_url):
        return LinkPreviewOptions(url=url, prefer_large_media=True, show_above_text=True)
    return LinkPreviewOptions(is_disabled=True) if message.disable_preview else None


def chat_ref(chat_id: str) -> int | str:
    """Numeric ids as numbers, @channel usernames as they are."""
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


class TelegramSender:
    """The Telegram implementation of the core's Sender protocol."""

    platform = "telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    @classmethod
    def build(cls, token: str, base_url: str, *, pool_size: int = 64) -> TelegramSender:
        request = HTTPXRequest(
            connection_pool_size=pool_size,
            read_timeout=15,
            write_timeout=15,
            connect_timeout=10,
            pool_timeout=10,
        )
        return cls(Bot(token, base_url=base_url, request=request))

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        try:
            sent = await self.bot.send_message(
                chat_id=chat_ref(destination.chat_id),
                text=message.text,
                parse_mode=message.parse_mode,
                message_thread_id=int(destination.thread_id) if destination.thread_id else None,
                link_preview_options=link_preview(message),
            )
        except tg.TelegramError as exc:
            raise classify(exc, self.bot.token) from exc
        return str(sent.message_id)

    async def close(self) -> None:
        await self.bot.shutdown()
