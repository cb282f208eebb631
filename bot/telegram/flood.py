"""One Telegram chat never stalls the others: python-telegram-bot's updates run in lanes,
one per chat, and a flood is held at the door.

``ChatLanes`` is the application's update processor. Commands and button presses of one
chat run one at a time in that chat's lane, so a flooding chat waits for its own replies'
pace (about 1/s, 20 a minute in groups) in one lane instead of in every update slot.
A lane holds one of the shared slots only while it works: while a reply waits for its
chat's own pace (``slot_lent``, in the rate limiter) the slot is lent to the other chats.

Before a command or a press joins its lane, ``digests.flood.Admission`` counts it against
the chat and the member (across chats). The excess is dropped: a press is still answered
at once ("too many presses", answerCallbackQuery is cheap and unpaced), and the chat is
told to slow down at most once a minute per chat or member, in its language. Everything
else (chat-member events, migrations, plain messages) and whatever a bot admin sends runs
at once, as before, so a breaking-push confirmation never waits behind a flood.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, BaseUpdateProcessor

from bot.telegram.context import BotContext, find, language_of
from digests.flood import Admission, FloodLimits, NoticeGate, Refused
from digests.i18n import t

log = logging.getLogger(__name__)

# Lanes working at once (a wait for the chat's own pace does not count). Each may hold a
# booking of the global budget while it waits for it: with more, sends booked apart bunch
# when the loop is busy (16 drew a 429 in one burst of 60 /start out of five). PTB's own
# limit only covers handing an update to its lane, or running an unlaned update.
LANE_SLOTS = 8
HANDOFF_SLOTS = 256
# Application.stop() waits for the lanes; at shutdown, what is left (a lane started while
# stopping) gets this long, then is cancelled.
SHUTDOWN_GRACE_S = 5.0

SLOW_DOWN = "Too many commands at once: I skipped some of them. Please wait a moment."
SLOW_PRESSES = "Too many presses at once: please wait a moment."


class Slot:
    """A lane's hold on one of the shared slots; lent while its reply waits for its pace."""

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self._semaphore = semaphore
        self._task: asyncio.Task[Any] | None = None
        self.held = False

    async def acquire(self) -> None:
        await self._semaphore.acquire()
        self.held = True
        self._task = asyncio.current_task()

    def release(self) -> None:
        if self.held:
            self.held = False
            self._semaphore.release()

    def lendable(self) -> bool:
        # Only the lane's own task lends its slot: a task the handler started inherits
        # the context variable but holds nothing.
        return self.held and asyncio.current_task() is self._task


_SLOT: contextvars.ContextVar[Slot | None] = contextvars.ContextVar("lane_slot", default=None)


@contextlib.asynccontextmanager
async def slot_lent() -> AsyncIterator[None]:
    """Within: the current lane's shared slot is lent to the other chats (a reply waiting
    for its pace); taken back on the way out. Outside a lane, nothing happens."""
    slot = _SLOT.get()
    if slot is None or not slot.lendable():
        yield
        return
    slot.release()
    try:
        yield
    finally:
        await slot.acquire()


def counted(update: Update) -> bool:
    """Commands and button presses are what a member can flood with and what costs a
    reply; they are admitted and laned. An edited command runs no handler."""
    if update.callback_query is not None:
        return True
    message = update.message or update.channel_post
    return message is not None and (message.text or "").startswith("/")


def sender_of(update: Update) -> str | None:
    """Who sent it, for the member's limit: an anonymous admin or a channel posts as a
    chat (sharing one user id with every other anonymous admin on Telegram)."""
    message = update.effective_message
    if message is not None and message.sender_chat is not None and not update.callback_query:
        return f"chat:{message.sender_chat.id}"
    user = update.effective_user
    return str(user.id) if user is not None else None


class ChatLanes(BaseUpdateProcessor):
    """The update processor: see the module's docstring."""

    def __init__(
        self,
        admission: Admission | None = None,
        *,
        notices: NoticeGate | None = None,
        slots: int = LANE_SLOTS,
        monotonic: Callable[[], float] = time.monotonic,
        grace_s: float = SHUTDOWN_GRACE_S,
    ) -> None:
        super().__init__(HANDOFF_SLOTS)
        self.admission = admission or Admission(FloodLimits())
        self.notices = notices or NoticeGate()
        self.application: Application | None = None  # type: ignore[type-arg]
        self._slots = asyncio.Semaphore(slots)
        self._monotonic = monotonic
        self._grace_s = grace_s
        self._lanes: dict[str, deque[Awaitable[Any]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.dropped = 0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self._grace_s)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _ctx(self) -> BotContext | None:
        return self.application.bot_data.ctx if self.application is not None else None

    def _exempt(self, update: Update) -> bool:
        ctx = self._ctx()
        user = update.effective_user
        return ctx is not None and user is not None and user.id in ctx.admin_ids

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if (
            not isinstance(update, Update)
            or update.effective_chat is None
            or not counted(update)
            or self._exempt(update)
        ):
            await coroutine
            return
        chat = str(update.effective_chat.id)
        lane = self._lanes.get(chat)
        refused = self.admission.admit(
            chat,
            sender_of(update),
            self._monotonic(),
            waiting=len(lane) if lane else 0,
            press=update.callback_query is not None,
        )
        if refused is not None:
            if asyncio.iscoroutine(coroutine):
                coroutine.close()  # never run: no "was never awaited" warning
            self.dropped += 1
            self._spawn(self._refuse(update, refused))
            return
        if lane is None:
            lane = self._lanes[chat] = deque()
            self._spawn(self._run_lane(chat, lane))
        lane.append(coroutine)

    def waiting(self, chat: int | str) -> int:
        """Admitted updates of ``chat`` that have not finished yet."""
        return len(self._lanes.get(str(chat), ()))

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        # As the application's task, Application.stop() waits for it: what was admitted
        # is answered before the bot's connection closes.
        application = self.application
        if application is not None and application.running:
            task: asyncio.Task[Any] = application.create_task(work)
        else:
            task = asyncio.ensure_future(work)
        self._tasks.add(task)  # held, so it is not collected mid-way
        task.add_done_callback(self._tasks.discard)

    async def _run_lane(self, chat: str, lane: deque[Awaitable[Any]]) -> None:
        """Run the chat's updates in order; an update stays in the lane (counted as
        waiting) until it has run."""
        slot = Slot(self._slots)
        try:
            while lane:
                await slot.acquire()
                token = _SLOT.set(slot)
                try:
                    await lane[0]
                except Exception:  # PTB's process_update handles a handler's own errors
                    log.exception("a Telegram update failed in chat %s's lane", chat)
                finally:
                    _SLOT.reset(token)
                    slot.release()
                    lane.popleft()
        finally:
            for left in lane:  # cancelled at shutdown
                if asyncio.iscoroutine(left):
                    left.close()
            if self._lanes.get(chat) is lane:
                del self._lanes[chat]

    async def _refuse(self, update: Update, refused: Refused) -> None:
        """Answer a dropped press at once; tell the chat once a minute per chat or member.
        Presses and commands count apart: a press's refusal is its own answer, so it must
        not spend the once-a-minute notice a flood of commands should still get."""
        query = update.callback_query
        lane = "press" if query is not None else "command"
        tell = self.notices.allow((lane, refused.notice_key), self._monotonic())
        ctx = self._ctx()
        try:
            if query is not None:
                language = language_of(ctx, update, None) if ctx else "en"
                await query.answer(t(language, SLOW_PRESSES))
            elif tell and update.effective_message is not None:
                language = language_of(ctx, update, await find(ctx, update)) if ctx else "en"
                await update.effective_message.reply_text(t(language, SLOW_DOWN), do_quote=False)
        except TelegramError as exc:
            log.info("could not tell chat %s to slow down: %s", update.effective_chat, exc)
        if tell:
            log.info(
                "flood: %s %s held for %.0f s (updates dropped so far: %d)",
                refused.scope,
                refused.key,
                refused.retry_after,
                self.dropped,
            )


def refusal_key(update: Update) -> tuple[str, int, str | None]:
    """The key of a refusal's notice: one per member and chat (see ``once_a_minute``)."""
    chat = update.effective_chat
    return ("refusal", chat.id if chat is not None else 0, sender_of(update))


def once_a_minute(application: Any, key: object, now: float | None = None) -> int:
    """For a handler's notices (a refusal to a command in a group): truthy at most once a
    minute per ``key``, e.g. ``("refusal", chat.id, user.id)``; the count is how many were
    held since the last one (for an audit row). Without ChatLanes (a test's application)
    every notice goes out."""
    processor = getattr(application, "update_processor", None)
    if not isinstance(processor, ChatLanes):
        return 1
    return processor.notices.allow(key, processor._monotonic() if now is None else now)
