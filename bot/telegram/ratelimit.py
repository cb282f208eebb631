"""A python-telegram-bot rate limiter fed by the same Pacer as delivery, so command replies
and digests share one budget and neither pushes the other over Telegram's limits.

A reply that must wait for its pace waits in its chat's lane (``bot.telegram.flood``): the
shared update slot is lent to other chats meanwhile, so one chat's pace never holds them.
A 429 pauses the chat and slows the pace (as delivery does), and the request is tried once
more."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.telegram.flood import slot_lent
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
        if endpoint not in PACED or chat_id is None:
            return await callback(*args, **kwargs)
        chat = str(chat_id)
        try:
            return await self._paced(chat, callback, args, kwargs)
        except RetryAfter as exc:  # once more: the chat pauses, the pace slows a bit
            delay = exc.retry_after
            seconds = delay.total_seconds() if isinstance(delay, timedelta) else delay
            self._pacer.penalise("telegram", chat, float(seconds), self._monotonic())
            return await self._paced(chat, callback, args, kwargs)

    async def _paced(
        self, chat: str, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any, kwargs: Any
    ) -> Any:
        # The chat's own pace first, with the lane's shared slot lent to the other chats:
        # a flooding chat waits for its turn without holding anyone. Then the shared
        # budget, in the slot: booked at once, a chat's turn a second away would hold the
        # global bucket for every chat; booked by every waiting lane, sends would bunch.
        # Again until nothing is left to wait: another reply may have taken the free cap's
        # token meanwhile (Telegram's 30/s, which replies keep to even with paid
        # broadcasts), and booking it ahead would hold the global bucket too.
        own = self._pacer.own_wait("telegram", chat, self._monotonic())
        while own > 0:
            async with slot_lent():
                await asyncio.sleep(own)
            own = self._pacer.own_wait("telegram", chat, self._monotonic())
        wait = self._pacer.reserve("telegram", chat, self._monotonic())
        if wait > 0:
            await asyncio.sleep(wait)
        return await callback(*args, **kwargs)
