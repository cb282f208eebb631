"""Every interaction acknowledged within Discord's 3 s, however long its answer takes.

A command or a press starts its work at once. If its answer is ready within
``ANSWER_BUDGET_S`` of the interaction's creation (well under Discord's 3 s, leaving room
for the HTTP round trip), it goes out directly as the interaction's response. If not, the
bot acknowledges the interaction first: a command with a private "thinking" response (every
answer of this bot is private), a press with a deferred update (the button stops spinning);
when the answer is ready it edits that original response (a press: the message under the
button, or a private follow-up for an answer that is a new message).

The choice between the two is made once, synchronously, by whichever comes first (the
answer or the timer): nothing is answered twice. Autocomplete cannot be deferred; its
callbacks answer from caches (``choices``).

``TimelyResponse`` replaces discord.py's ``InteractionResponse`` on each interaction, so
every existing answer (``reply``, ``edit_message``, a command's own ``defer``) goes through
that one decision unchanged; ``parse_interaction`` is discord.py's INTERACTION_CREATE parser
with the response installed before anything runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from types import SimpleNamespace
from typing import Any, TypeVar

import discord
from discord.utils import MISSING

log = logging.getLogger(__name__)
T = TypeVar("T")

# From the interaction's creation: answers later than this are preceded by a deferral.
ANSWER_BUDGET_S = 1.2
# Acknowledgements in flight at once, the rest queued in arrival order: thousands sent
# together would each open a connection of their own (a TLS handshake each, on Discord)
# and all come late; a few dozen reuse their connections.
ACKS_AT_ONCE = 64
IDLE_WAIT_S = 2.0  # the longest deferred work waits for acknowledgements to go out
DIRECT, DEFERRED = "direct", "deferred"
# Discord's codes for an interaction that can no longer be answered: Unknown interaction
# (its 3 s passed) and Interaction has already been acknowledged.
GONE = frozenset({10062, 40060})
# What an edit of the original response or a follow-up carries of a response's arguments.
EDIT_FIELDS = ("content", "embed", "embeds", "view", "allowed_mentions", "attachments")
FOLLOWUP_FIELDS = ("embed", "embeds", "view", "allowed_mentions", "ephemeral", "files", "file")


def gone() -> discord.NotFound:
    """What an answer raises when its interaction was never acknowledged (its deferral
    failed): Discord's own 10062, which the error handlers count as gone, rather than an
    edit of a response Discord never had (10015, a traceback and two wasted calls)."""
    response = SimpleNamespace(status=404, reason="Not Found")
    return discord.NotFound(response, {"code": 10062, "message": "Unknown interaction"})  # type: ignore[arg-type]


class Acks:
    """Acknowledgements (deferrals, refusals) waiting or in flight: at most ``at_once``
    sent together, in arrival order. Work whose answer is already deferred waits until
    none is pending (``idle``): each acknowledgement has a deadline, that work no longer
    has one, and on a loaded machine they would share the CPU."""

    def __init__(self, at_once: int = ACKS_AT_ONCE) -> None:
        self._slots = asyncio.Semaphore(at_once)
        self.pending = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def expect(self) -> None:
        """One more acknowledgement to send (counted at once, before its task runs)."""
        self.pending += 1
        self._idle.clear()

    @contextlib.asynccontextmanager
    async def sending(self) -> AsyncIterator[None]:
        """Send an ``expect``-ed acknowledgement when a slot is free."""
        try:
            async with self._slots:
                yield
        finally:
            self.pending -= 1
            if not self.pending:
                self._idle.set()

    async def idle(self, longest: float = IDLE_WAIT_S) -> None:
        """Until no acknowledgement is pending, or ``longest`` seconds (a steady stream of
        them must not hold deferred work forever)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), longest)


class Throttled:
    """A warning said at most once per ``every`` seconds, with how many were not said:
    in a burst that overwhelms the bot, a line per late interaction would cost more
    time than answering them."""

    def __init__(self, every: float = 10.0) -> None:
        self._every = every
        self._said_at = -every
        self._held = 0

    def note(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._said_at < self._every:
            self._held += 1
            return
        held, self._held, self._said_at = self._held, 0, now
        log.warning(
            message + (" (and %d more like it)" if held else ""), *args, *([held] if held else [])
        )


LATE = Throttled()


def defer_delay(created: float, now: float, budget: float) -> float:
    """Seconds from ``now`` until the deferral: ``budget`` after the interaction's creation
    (Discord's clock, its snowflake), never more than ``budget`` from its arrival (a clock
    behind Discord's) and never less than nothing (an interaction delivered late)."""
    return min(budget, max(0.0, created + budget - now))


class TimelyResponse(discord.InteractionResponse[Any]):
    """An interaction's response, answered directly or deferred then edited; see the
    module's docstring."""

    __slots__ = ("_acks", "_claim", "_deadline", "_deferral", "_first_pending", "_task", "_timer")

    def __init__(self, parent: discord.Interaction[Any], acks: Acks | None = None) -> None:
        super().__init__(parent)
        self._acks = acks
        self._claim: str | None = None
        self._deferral: asyncio.Future[bool] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._deadline = 0.0  # the loop's time of the deferral (while a timer is armed)
        # Deferred, and the answer has not replaced the "thinking" response yet.
        self._first_pending = False
        self._task: asyncio.Task[None] | None = None

    @property
    def deferred(self) -> bool:
        """Whether the timer deferred this interaction (the answer edits it later)."""
        return self._claim == DEFERRED

    def arm(self, delay: float) -> None:
        """Defer in ``delay`` seconds unless answered before (commands and presses only)."""
        if self._parent.type in (
            discord.InteractionType.application_command,
            discord.InteractionType.component,
        ):
            loop = asyncio.get_running_loop()
            self._deadline = loop.time() + delay
            self._timer = loop.call_later(delay, self.defer_now)

    def _take(self) -> bool:
        """Claim the response for a direct answer: False if the deferral (or an answer)
        already has it. Synchronous: the decision cannot interleave with the timer's."""
        if self._claim is not None:
            return False
        self._claim = DIRECT
        if self._timer is not None:
            self._timer.cancel()
        return True

    async def _direct(self, answer: Awaitable[T]) -> T:
        """A direct answer; if it failed before Discord acknowledged anything, the
        response is open again (as discord.py's own stays not done), so the error
        handler can still answer it, and the deferral timer is armed with what is left."""
        try:
            return await answer
        except Exception:  # not a cancellation: a command that is gone needs no answer
            if self._response_type is None and self._claim == DIRECT:
                self._claim = None
                if self._timer is not None:
                    loop = asyncio.get_running_loop()
                    delay = max(0.0, self._deadline - loop.time())
                    self._timer = loop.call_later(delay, self.defer_now)
            raise

    def defer_now(self) -> None:
        """The budget ran out: acknowledge now, unless already answered."""
        if self._claim is not None:
            return
        self._claim = DEFERRED
        self._first_pending = True
        if self._acks is not None:
            self._acks.expect()
        self._deferral = asyncio.get_running_loop().create_future()
        self._task = asyncio.get_running_loop().create_task(self._send_deferral())

    async def _send_deferral(self) -> None:
        assert self._deferral is not None
        try:
            async with self._acks.sending() if self._acks else contextlib.nullcontext():
                if self._parent.type is discord.InteractionType.component:
                    await super().defer()  # a deferred update: the button stops spinning
                else:
                    await super().defer(ephemeral=True, thinking=True)
            self._deferral.set_result(True)
        except Exception as exc:  # any failure (a reset connection, a time-out too)
            LATE.note("could not defer a Discord interaction: %s", describe(exc))
        finally:
            # Whatever happened (cancelled too), the answer waiting for it must not wait
            # for ever: False, never acknowledged.
            if not self._deferral.done():
                self._deferral.set_result(False)

    async def acks_first(self) -> None:
        """Deferred: let the pending acknowledgements go out before this work runs."""
        if self._claim == DEFERRED and self._acks is not None:
            await self._acks.idle()

    async def _deferred_answer(self) -> bool:
        """Wait for the deferral to be accepted; whether this is the answer's first piece
        (it replaces the deferred response)."""
        assert self._deferral is not None
        if not await asyncio.shield(self._deferral):
            self._first_pending = False
            raise gone()
        first = self._first_pending
        self._first_pending = False
        return first

    def is_done(self) -> bool:
        """Whether the next piece of an answer is a follow-up: a deferral still waiting
        for its answer is not done (the answer replaces it)."""
        return self._claim is not None and not self._first_pending

    async def send_message(self, content: Any = None, **kwargs: Any) -> Any:
        if self._take():
            return await self._direct(super().send_message(content, **kwargs))
        first = await self._deferred_answer()
        if first and self._parent.type is not discord.InteractionType.component:
            return await self._parent.edit_original_response(
                content=content, **_pick(kwargs, EDIT_FIELDS)
            )
        # A press deferred by an update: its message stays; the answer is a new one.
        return await self._parent.followup.send(
            content if content is not None else MISSING, **_pick(kwargs, FOLLOWUP_FIELDS)
        )

    async def edit_message(self, **kwargs: Any) -> Any:
        if self._take():
            return await self._direct(super().edit_message(**kwargs))
        await self._deferred_answer()
        return await self._parent.edit_original_response(**_pick(kwargs, EDIT_FIELDS))

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> Any:
        if self._take():
            return await self._direct(super().defer(ephemeral=ephemeral, thinking=thinking))
        # Deferred already (every deferral here is private, as every answer is): the
        # command's follow-ups replace it.
        await self._deferred_answer()
        return None

    async def autocomplete(self, choices: Any) -> None:
        if not self._take():
            return
        try:
            await self._direct(super().autocomplete(choices))
        except discord.HTTPException as exc:
            if exc.code not in GONE:
                raise
            # Too late for these suggestions (the member typed on): noted, not a traceback
            # per keystroke (discord.py logs one for each), which would make the next late.
            LATE.note("autocomplete answered too late: %s", exc)

    async def send_modal(self, modal: Any, /) -> Any:
        if not self._take():
            return await super().send_modal(modal)  # refused by discord.py as before
        return await self._direct(super().send_modal(modal))


def gone_noted(
    callback: Callable[[Any, discord.Interaction[Any]], Awaitable[None]],
) -> Callable[[Any, discord.Interaction[Any]], Awaitable[None]]:
    """A press's callback whose answer can no longer reach the member (``GONE``: too
    late, or its deferral was refused) is noted in the throttled line, not logged with a
    traceback per press (discord.py's default for a DynamicItem's callback)."""

    @functools.wraps(callback)
    async def run(self: Any, interaction: discord.Interaction[Any]) -> None:
        try:
            await callback(self, interaction)
        except discord.HTTPException as exc:
            if exc.code not in GONE:
                raise
            LATE.note("a Discord press could not be answered (%s %s)", exc.code, exc.text)

    return run


def describe(exc: BaseException) -> str:
    """An exception in one line: its kind and text (a time-out has no text)."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _pick(kwargs: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if k in fields}


def attach(
    interaction: discord.Interaction[Any],
    budget: float = ANSWER_BUDGET_S,
    acks: Acks | None = None,
) -> TimelyResponse:
    """Give ``interaction`` a TimelyResponse whose deferral is ``budget`` after its creation
    (sent when ``acks`` lets it)."""
    response = TimelyResponse(interaction, acks)
    interaction._cs_response = response  # type: ignore[attr-defined]  # the cached property
    response.arm(defer_delay(interaction.created_at.timestamp(), time.time(), budget))
    return response


def parse_interaction(
    state: Any,
    data: Any,
    budget: float = ANSWER_BUDGET_S,
    acks: Acks | None = None,
) -> None:
    """discord.py's INTERACTION_CREATE parser (``ConnectionState.parse_interaction_create``,
    2.x), with the timely response attached before the command, press or modal runs."""
    interaction: discord.Interaction[Any] = discord.Interaction(data=data, state=state)
    attach(interaction, budget, acks)
    if data["type"] in (2, 4) and state._command_tree:
        state._command_tree._from_interaction(interaction)
    elif data["type"] == 3:
        inner = data["data"]
        state._view_store.dispatch_view(inner["component_type"], inner["custom_id"], interaction)
    elif data["type"] == 5:
        inner = data["data"]
        state._view_store.dispatch_modal(
            inner["custom_id"], interaction, inner["components"], inner.get("resolved", {})
        )
    state.dispatch("interaction", interaction)
