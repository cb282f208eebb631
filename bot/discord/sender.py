"""Send messages to Discord through discord.py's HTTP client, translating its errors into
the core's delivery errors. discord.py honours Discord's rate-limit bucket headers itself;
the Pacer keeps us under the documented limits so those buckets are rarely hit."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import discord
from discord.http import HTTPClient, Route, handle_message_parameters

from bot.logs import redact
from digests.delivery_errors import (
    DeliveryError,
    DestinationGone,
    MessageRejected,
    RateLimited,
    TransientError,
)
from digests.outgoing import Destination, OutgoingMessage

CONTENT_LIMIT = 2000

# Discord's JSON error codes that mean "not ours to post in any more".
GONE_CODES = {
    10003: "unknown channel",
    10013: "unknown user",
    50001: "missing access",
    50007: "cannot send messages to this user",
    50013: "missing permissions",
}


def classify(exc: Exception, token: str | None = None) -> DeliveryError:
    """The delivery error a discord.py (or aiohttp) exception stands for. Its text is kept
    (in the outbox, in notes to admins), so the token is redacted from it: an error page
    can echo the request's ``Authorization: Bot <token>`` header."""
    if isinstance(exc, discord.RateLimited):
        return RateLimited(exc.retry_after)
    if isinstance(exc, discord.HTTPException):
        text = redact(exc.text, [token])
        if exc.code in GONE_CODES or exc.status in (403, 404):
            return DestinationGone(f"{GONE_CODES.get(exc.code, text)} ({exc.code})")
        if isinstance(exc, discord.DiscordServerError) or exc.status >= 500:
            return TransientError(f"Discord {exc.status}: {text}")
        return MessageRejected(f"Discord {exc.status} ({exc.code}): {text}")
    return TransientError(redact(f"{type(exc).__name__}: {exc}", [token]))


def with_ping(text: str, role: str | None) -> tuple[str, discord.AllowedMentions]:
    """The content and allowed mentions of a message: nobody is ever pinged, except the
    one role a channel chose for breaking news."""
    if not role:
        return text, discord.AllowedMentions.none()
    mention = f"<@&{role}>"
    room = CONTENT_LIMIT - len(mention) - 1
    if len(text) > room:  # the ping must fit: the end of an over-long text gives way
        text = text[: room - 1] + "…"
    content = f"{mention} {text}" if text else mention
    allowed = discord.AllowedMentions(
        everyone=False, users=False, roles=[discord.Object(id=int(role))], replied_user=False
    )
    return content, allowed


class DiscordSender:
    """The Discord implementation of the core's Sender protocol."""

    platform = "discord"

    def __init__(self, http: HTTPClient) -> None:
        self.http = http

    @classmethod
    async def start(cls, token: str, base_url: str) -> DiscordSender:
        """Log in over REST (no gateway needed to post). Raises DeliveryError on failure."""
        # discord.py builds every REST URL from this class attribute; a self-hosted proxy
        # or a test's fake server replaces it.
        Route.BASE = base_url.rstrip("/")
        http = HTTPClient(asyncio.get_running_loop(), max_ratelimit_timeout=30.0)
        try:
            await http.static_login(token)
        except (discord.HTTPException, aiohttp.ClientError) as exc:
            await http.close()
            raise classify(exc, token) from exc
        return cls(http)

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        # A thread or forum post is a channel of its own.
        channel = destination.thread_id or destination.chat_id
        embeds = [discord.Embed.from_dict(dict(e)) for e in message.embeds]
        content, mentions = with_ping(message.text, destination.ping_role)
        params = handle_message_parameters(
            content=content or None,
            embeds=embeds if embeds else discord.utils.MISSING,
            allowed_mentions=mentions,
        )
        try:
            with params:
                sent: dict[str, Any] = await self.http.send_message(channel, params=params)
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError) as exc:
            raise classify(exc, self.http.token) from exc
        return str(sent["id"])

    async def close(self) -> None:
        await self.http.close()
