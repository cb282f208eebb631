"""A python-telegram-bot rate limiter fed by the same Pacer as delivery, so command replies
and digests share one budget and neither pushes the other over Telegram's limits.

A reply that must wait for its pace waits in its chat's lane (``bot.telegram.flood``): the
shared update slot is lent to other chats meanwhile, so one chat's pace never holds them."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import BaseRateLimiter

from bot.telegram.flood import pause
from digests.pacing import Pacer

# Methods that post or change a message in a chat: these count against the flood limits.
PACED = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "sendPhoto",
        "sendDocument",
        "copyMessage",
        "forwardMessage",
    }
)


class PacerRateLimiter(BaseRateLimiter[None]):
    def __init__(self, pacer: Pacer, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._pacer = pacer
        self._monotonic = monotonic

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if endpoint in PACED and chat_id is not None:
            # The chat's own pace first, then the shared budget: booked at once, a chat's
            # turn a second away would hold the global bucket for every chat until then.
            own = self._pacer.own_wait("telegram", str(chat_id), self._monotonic())
            if own > 0:
                await pause(own)
            wait = self._pacer.reserve("telegram", str(chat_id), self._monotonic())
            if wait > 0:
                await pause(wait)
        return await callback(*args, **kwargs)
