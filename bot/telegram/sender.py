"""Send messages to Telegram with python-telegram-bot, translating its errors into the
core's delivery errors (``digests.delivery_errors``)."""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram import Bot, LinkPreviewOptions
from telegram import error as tg

from bot.logs import redact
from bot.telegram.aiohttp_request import AiohttpRequest, JsonParameters
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
    options = preview_parameters(message)
    return LinkPreviewOptions(**options) if options is not None else None


def preview_parameters(message: OutgoingMessage) -> dict[str, object] | None:
    """``link_preview`` as the Bot API's JSON object (what the sender posts)."""
    # Checked again here: a message stored in the outbox by an older version, or built by
    # another caller, must not ask Telegram for a preview it refuses with the message.
    if url := preview_link(message.preview_url):
        return {"url": url, "prefer_large_media": True, "show_above_text": True}
    return {"is_disabled": True} if message.disable_preview else None


def chat_ref(chat_id: str) -> int | str:
    """Numeric ids as numbers, @channel usernames as they are."""
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


class TelegramSender:
    """The Telegram implementation of the core's Sender protocol.

    With ``paid_broadcast`` every message goes as a paid broadcast (``allow_paid_broadcast``:
    up to 1,000 messages/s, paid in Telegram Stars). Give such a sender only to the
    delivery worker (digests and breaking news from the outbox); anything else (a note to
    the admin chat) goes through ``unpaid()``, the same bot without the flag."""

    platform = "telegram"

    def __init__(self, bot: Bot, *, paid_broadcast: bool = False) -> None:
        self.bot = bot
        self.paid_broadcast = paid_broadcast

    @classmethod
    def build(
        cls, token: str, base_url: str, *, pool_size: int = 64, paid_broadcast: bool = False
    ) -> TelegramSender:
        request = AiohttpRequest(
            pool_size=pool_size, read_timeout=15, write_timeout=15, connect_timeout=10
        )
        return cls(Bot(token, base_url=base_url, request=request), paid_broadcast=paid_broadcast)

    def unpaid(self) -> TelegramSender:
        """This sender's bot without paid broadcasts: for messages that are not the
        outbox's digests and breaking news."""
        return TelegramSender(self.bot) if self.paid_broadcast else self

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        # sendMessage's parameters as the Bot API names them, posted through the bot's
        # request class: python-telegram-bot's Message built from each answer cost more
        # than the send itself at a thousand messages a second, and only its id is used.
        parameters = {
            "chat_id": chat_ref(destination.chat_id),
            "text": message.text,
            "parse_mode": message.parse_mode,
            "message_thread_id": int(destination.thread_id) if destination.thread_id else None,
            "link_preview_options": preview_parameters(message),
            # Left out unless paid: Telegram bills each paid message.
            "allow_paid_broadcast": True if self.paid_broadcast else None,
        }
        try:
            sent = await self.bot.request.post(
                f"{self.bot.base_url}/sendMessage",
                request_data=JsonParameters({k: v for k, v in parameters.items() if v is not None}),
            )
        except tg.TelegramError as exc:
            raise classify(exc, self.bot.token) from exc
        if not isinstance(sent, dict) or "message_id" not in sent:
            raise TransientError(
                f"Telegram's answer to sendMessage has no message id: {sent!r:.200}"
            )
        return str(sent["message_id"])

    async def close(self) -> None:
        await self.bot.shutdown()
        await self.bot.request.shutdown()  # never initialised through the bot: closed here
