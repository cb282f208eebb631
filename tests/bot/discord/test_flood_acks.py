"""A flood's refusals never hold the others' acknowledgements: they go out a few at a time
on their own, never in the queue of the admitted interactions' deferrals (``timely.Acks``)
and never counted by it (deferred work does not wait for them), and beyond what could reach
Discord within its 3 s they are shed (Discord times them out). Refusals here are held in
flight on an event until the test lets them go: no sleeps, no timing."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.discord import flood
from bot.discord.flood import FloodGuard
from bot.discord.timely import TimelyResponse
from digests.flood import Refused

HANG_GUARD_S = 10  # a hang is a failure, not a wait: nothing here waits on Discord
REFUSED = Refused("chat", "1", 5)


class HeldResponse:
    """A refusal's response whose HTTP call lasts until ``release`` is set."""

    def __init__(self, release: asyncio.Event, in_flight: list[int]) -> None:
        self._release = release
        self._in_flight = in_flight

    async def send_message(self, *args: Any, **kwargs: Any) -> None:
        self._in_flight[0] += 1
        self._in_flight[1] = max(self._in_flight[1], self._in_flight[0])
        try:
            await self._release.wait()
        finally:
            self._in_flight[0] -= 1


def refused_command(release: asyncio.Event, in_flight: list[int]) -> Any:
    return SimpleNamespace(
        type=discord.InteractionType.application_command,
        response=HeldResponse(release, in_flight),
        locale=SimpleNamespace(value="en-US"),
    )


async def settle() -> None:
    """Let the refusal tasks reach their HTTP calls (or their place in line): a few
    turns of the loop, no time."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_another_members_deferral_goes_out_while_refusals_are_in_flight(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    guard = FloodGuard()
    release, in_flight = asyncio.Event(), [0, 0]
    for _ in range(200):  # more than the acknowledgements' slots, all held in flight
        guard.refuse(lambda: refused_command(release, in_flight), REFUSED)
    await settle()
    assert in_flight[0] == flood.REFUSALS_AT_ONCE
    assert guard.acks.pending == 0  # deferred work does not wait for the flood

    async def defer(self: Any, **kwargs: Any) -> None:
        return None

    monkeypatch.setattr(discord.InteractionResponse, "defer", defer)
    other = SimpleNamespace(type=discord.InteractionType.application_command)
    response = TimelyResponse(other, guard.acks)  # type: ignore[arg-type]
    response.defer_now()
    assert response._deferral is not None
    assert await asyncio.wait_for(asyncio.shield(response._deferral), HANG_GUARD_S)
    assert in_flight[0] == flood.REFUSALS_AT_ONCE  # the refusals were still in flight
    release.set()
    await asyncio.wait_for(asyncio.gather(*guard._tasks), HANG_GUARD_S)
    assert guard.dropped == 200 and guard.shed == 0


async def test_refusals_beyond_what_can_be_answered_in_time_are_shed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(flood, "REFUSALS_AT_ONCE", 4)
    monkeypatch.setattr(flood, "REFUSALS_WAITING", 10)
    guard = FloodGuard()
    release, in_flight = asyncio.Event(), [0, 0]
    built = 0

    def build() -> Any:
        nonlocal built
        built += 1
        return refused_command(release, in_flight)

    taken = [guard.refuse(build, REFUSED) for _ in range(25)]
    assert taken == [True] * 10 + [False] * 15
    assert built == 10  # a shed refusal costs not even its parsing
    assert (guard.dropped, guard.shed) == (25, 15)
    await settle()
    assert in_flight[0] == 4  # REFUSALS_AT_ONCE, the others wait their turn
    release.set()
    await asyncio.wait_for(asyncio.gather(*guard._tasks), HANG_GUARD_S)
    assert in_flight == [0, 4]  # never more than REFUSALS_AT_ONCE at once
    # The flood answered, the next refusals are answered again.
    assert guard.refuse(build, REFUSED)
    await asyncio.wait_for(asyncio.gather(*guard._tasks), HANG_GUARD_S)
    assert built == 11


async def test_a_refusal_that_failed_to_go_out_frees_its_place() -> None:
    guard = FloodGuard()

    class ResetResponse:
        async def send_message(self, *args: Any, **kwargs: Any) -> None:
            raise OSError(104, "Connection reset by peer")

    interaction = SimpleNamespace(
        type=discord.InteractionType.application_command,
        response=ResetResponse(),
        locale=SimpleNamespace(value="en-US"),
    )
    assert guard.refuse(lambda: interaction, REFUSED)
    await asyncio.wait_for(asyncio.gather(*guard._tasks), HANG_GUARD_S)
    assert guard._refusing == 0
