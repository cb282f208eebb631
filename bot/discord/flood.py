"""One Discord member never stalls the others: every interaction is counted against its
member and its channel (``digests.flood.Admission``) before discord.py runs a command, a
button or an autocomplete, and the excess is answered at once without running it.

Discord wants every interaction answered within 3 s, so nothing is dropped silently: an
excess command gets a private (ephemeral) "slow down"; an excess press gets the same once
a minute, and otherwise a silent acknowledgement (the button stops spinning, nothing
changes); excess autocomplete gets no suggestions. None of these touch the store, so a
flood costs one small HTTP answer per interaction, and the others' commands keep their
pace: refusals go out a few at a time on their own (``REFUSALS_AT_ONCE``), never in the
queue of the admitted interactions' acknowledgements (``timely.Acks``) nor counted by it.
Under a flood larger than can be answered in Discord's 3 s (``REFUSALS_WAITING``), the
excess is not answered at all: Discord times it out ("did not respond"), which costs the
bot nothing. The bot's administrators (DISCORD_ADMIN_IDS) are never held. A refusal is
answered directly (it is ready at once); what is admitted gets a timely response
(``timely``).

The hook sits where discord.py turns a gateway event into work: the connection's
``INTERACTION_CREATE`` parser, the one place commands, components and modals all pass
through before a task is started for them (``CommandTree.interaction_check`` covers only
commands; a DynamicItem's check only its own kind).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import discord

from bot.discord.timely import ANSWER_BUDGET_S, Acks, parse_interaction
from digests.flood import Admission, FloodLimits, NoticeGate, Refused
from digests.i18n import normalise_language, t

log = logging.getLogger(__name__)

# Discord answers interactions without a channel's message pace, so a channel shared by a
# busy server takes more than a Telegram group; one member still gets 30 a minute.
DISCORD_LIMITS = FloodLimits(
    chat_per_minute=60.0, chat_burst=20.0, user_per_minute=30.0, user_burst=10.0
)
# Autocomplete fires on every keystroke: a limit of its own, and generous.
AUTOCOMPLETE_LIMITS = FloodLimits(
    chat_per_minute=600.0, chat_burst=100.0, user_per_minute=120.0, user_burst=30.0
)
# Refusals in flight at once: fewer connections than the acknowledgements' (64), so a
# flood leaves them the room.
REFUSALS_AT_ONCE = 32
# Refusals waiting or in flight at most; beyond, shed. 512 at 32 at once and 100 ms a
# callback is 1.6 s: what waits longer would reach Discord after its 3 s anyway.
REFUSALS_WAITING = 512
SLOW_DOWN = "Slow down: too many commands and presses at once. Please wait a moment and try again."
COMMAND, AUTOCOMPLETE, COMPONENT, MODAL = 2, 4, 3, 5


def who_and_where(data: dict[str, Any]) -> tuple[str | None, str]:
    """(member id, channel id) of a raw interaction payload."""
    user = (data.get("member") or {}).get("user") or data.get("user") or {}
    channel = data.get("channel_id") or (data.get("channel") or {}).get("id") or "?"
    return (str(user["id"]) if "id" in user else None), str(channel)


class FloodGuard:
    """Admission for one client's interactions; see the module's docstring."""

    def __init__(
        self,
        admin_ids: frozenset[int] = frozenset(),
        *,
        limits: FloodLimits = DISCORD_LIMITS,
        monotonic: Callable[[], float] = time.monotonic,
        default_language: str = "en",
    ) -> None:
        self.admin_ids = admin_ids
        self.admission = Admission(limits)
        self.autocomplete = Admission(AUTOCOMPLETE_LIMITS)
        self.notices = NoticeGate()
        self._monotonic = monotonic
        self._default_language = default_language
        self._tasks: set[asyncio.Task[Any]] = set()
        self.dropped = 0
        self.shed = 0  # refused and not answered (a flood beyond REFUSALS_WAITING)
        self._refusing = 0  # refusals waiting or in flight
        self._refusal_slots = asyncio.Semaphore(REFUSALS_AT_ONCE)
        # Seconds from an interaction's creation to its deferral (read at each one).
        self.budget = ANSWER_BUDGET_S
        # Admitted interactions' deferrals in flight at once (``timely.ACKS_AT_ONCE``).
        self.acks = Acks()

    def refusal(self, data: dict[str, Any]) -> Refused | None:
        """None if this interaction may run, else why not (its tokens are taken if so)."""
        kind = data.get("type")
        if kind not in (COMMAND, AUTOCOMPLETE, COMPONENT, MODAL):
            return None
        user, channel = who_and_where(data)
        if user is not None and user.isdigit() and int(user) in self.admin_ids:
            return None
        admission = self.autocomplete if kind == AUTOCOMPLETE else self.admission
        return admission.admit(channel, user, self._monotonic())

    def install(self, client: discord.Client) -> None:
        """Put the guard in front of ``client``'s interaction parser (the gateway looks
        the parser up in ``parsers``; a test may call ``parse_interaction_create``). What
        it admits is parsed with a timely response (``timely``: deferred ``budget``
        seconds after its creation unless answered before)."""
        state = client._connection

        def guarded(data: Any) -> None:
            refused = self.refusal(data)
            if refused is None:
                parse_interaction(state, data, self.budget, self.acks)
                return
            self.refuse(lambda: discord.Interaction(data=data, state=state), refused)

        state.parse_interaction_create = guarded  # type: ignore[method-assign]
        state.parsers["INTERACTION_CREATE"] = guarded

    def refuse(self, build: Callable[[], Any], refused: Refused) -> bool:
        """Answer a refused interaction (``build`` makes it) when a refusal slot is free;
        False if it is shed instead (too many waiting already)."""
        self.dropped += 1
        if self._refusing >= REFUSALS_WAITING:
            self.shed += 1
            return False
        self._refusing += 1
        try:
            interaction = build()
        except BaseException:
            self._refusing -= 1
            raise
        task = asyncio.get_running_loop().create_task(self._answer(interaction, refused))
        self._tasks.add(task)  # held until done, so it is not collected mid-way
        task.add_done_callback(self._tasks.discard)
        return True

    async def _answer(self, interaction: discord.Interaction[Any], refused: Refused) -> None:
        """Acknowledge an interaction that is not run: see the module's docstring."""
        tell = self.notices.allow(refused.notice_key, self._monotonic())
        if tell:
            log.info(
                "flood: %s %s held for %.0f s (interactions dropped so far: %d, not answered: %d)",
                refused.scope,
                refused.key,
                refused.retry_after,
                self.dropped,
                self.shed,
            )
        response = interaction.response
        try:
            async with self._refusal_slots:
                if interaction.type is discord.InteractionType.autocomplete:
                    await response.autocomplete([])
                elif interaction.type is discord.InteractionType.component and not tell:
                    await response.defer()
                else:
                    language = normalise_language(
                        str(interaction.locale.value), self._default_language
                    )
                    await response.send_message(t(language, SLOW_DOWN), ephemeral=True)
        except Exception as exc:  # a reset connection too: a refusal never matters more
            log.info("could not tell a member to slow down: %s", exc)
        finally:
            self._refusing -= 1


def install(client: Any) -> FloodGuard:
    """The guard for a DigestClient (its context's admins and default language)."""
    ctx = client.digest
    guard = FloodGuard(ctx.admin_ids, default_language=ctx.settings.default_language)
    guard.budget = ctx.answer_budget_s
    guard.install(client)
    return guard
