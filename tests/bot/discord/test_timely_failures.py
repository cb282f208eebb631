"""An interaction's answer never waits for ever and never edits what Discord does not have:
a deferral that failed in any way (a reset connection, a time-out, Discord's "too late")
resolves at once, is noted in one throttled line, and the answer then raises Discord's
10062 (counted as gone by the error handlers) without another call; a direct answer that
failed before Discord acknowledged anything leaves the response open, so the error handler
can still answer it within the 3 s. Fakes of discord.py's response calls; no timing."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
import pytest

from bot.discord import timely
from bot.discord.timely import GONE, Acks, Throttled, TimelyResponse

HANG_GUARD_S = 10  # a hang is a failure, not a wait: the answers here come at once


def http_error(status: int, code: int, text: str) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason=text)
    return discord.HTTPException(response, {"code": code, "message": text})  # type: ignore[arg-type]


def command(**calls: Any) -> Any:
    return SimpleNamespace(type=discord.InteractionType.application_command, **calls)


async def deferred_with(
    monkeypatch: pytest.MonkeyPatch, failure: BaseException, parent: Any, acks: Acks
) -> TimelyResponse:
    """A response whose deferral (sent because the budget ran out) failed with ``failure``."""

    async def failing_defer(self: Any, **kwargs: Any) -> None:
        raise failure

    monkeypatch.setattr(discord.InteractionResponse, "defer", failing_defer)
    response = TimelyResponse(parent, acks)
    response.defer_now()
    assert response._task is not None
    await asyncio.wait_for(response._task, HANG_GUARD_S)
    return response


@pytest.mark.parametrize(
    "failure",
    [
        aiohttp.ClientOSError(104, "Connection reset by peer"),
        TimeoutError(),
        aiohttp.ServerDisconnectedError(),
        http_error(404, 10062, "Unknown interaction"),
    ],
    ids=["reset", "timeout", "disconnected", "too-late"],
)
@pytest.mark.parametrize("answer", ["send_message", "edit_message", "defer"])
async def test_an_answer_after_a_failed_deferral_is_gone_at_once_without_a_call(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failure: BaseException,
    answer: str,
) -> None:
    monkeypatch.setattr(timely, "LATE", Throttled())
    calls: list[str] = []

    async def edit_original_response(**kwargs: Any) -> None:
        calls.append("edit_original_response")

    async def send(*args: Any, **kwargs: Any) -> None:
        calls.append("followup.send")

    parent = command(
        edit_original_response=edit_original_response, followup=SimpleNamespace(send=send)
    )
    acks = Acks()
    with caplog.at_level(logging.WARNING, logger="bot.discord.timely"):
        response = await deferred_with(monkeypatch, failure, parent, acks)
        call = getattr(response, answer)
        args = ("your answer",) if answer == "send_message" else ()
        with pytest.raises(discord.NotFound) as raised:
            await asyncio.wait_for(call(*args), HANG_GUARD_S)
    assert raised.value.code in GONE  # the error handler notes it, no traceback
    assert calls == []  # nothing edited or followed up on a response Discord never had
    assert acks.pending == 0
    noted = [r for r in caplog.records if "could not defer" in r.getMessage()]
    assert len(noted) == 1
    assert type(failure).__name__ in noted[0].getMessage()


async def test_a_burst_of_failed_deferrals_is_one_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(timely, "LATE", Throttled())
    failure = aiohttp.ClientOSError(104, "Connection reset by peer")
    with caplog.at_level(logging.WARNING, logger="bot.discord.timely"):
        for _ in range(20):
            await deferred_with(monkeypatch, failure, command(), Acks())
    assert len([r for r in caplog.records if "could not defer" in r.getMessage()]) == 1


async def test_a_cancelled_deferral_still_releases_the_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = asyncio.Event()

    async def stuck_defer(self: Any, **kwargs: Any) -> None:
        started.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(discord.InteractionResponse, "defer", stuck_defer)
    response = TimelyResponse(command(), Acks())
    response.defer_now()
    await asyncio.wait_for(started.wait(), HANG_GUARD_S)
    assert response._task is not None
    response._task.cancel()
    with pytest.raises(discord.NotFound):
        await asyncio.wait_for(response.send_message("answer"), HANG_GUARD_S)


@pytest.mark.parametrize("answer", ["send_message", "edit_message", "defer"])
async def test_a_direct_answer_that_failed_leaves_the_response_to_the_error_handler(
    monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    """As discord.py's own response: a call that failed before Discord acknowledged the
    interaction leaves it not done, so the error handler's note goes through the response
    (not a follow-up, which Discord refuses for an interaction never acknowledged), and the
    deferral timer runs again for what is left of the budget."""
    sent: list[str] = []

    async def flaky(self: Any, *args: Any, **kwargs: Any) -> None:
        if not sent:
            sent.append("failed")
            raise aiohttp.ClientOSError(104, "Connection reset by peer")
        sent.append(args[0] if args else "")
        self._response_type = discord.InteractionResponseType.channel_message

    monkeypatch.setattr(discord.InteractionResponse, answer, flaky)
    monkeypatch.setattr(discord.InteractionResponse, "send_message", flaky)
    response = TimelyResponse(command(), Acks())
    response.arm(60.0)
    args = ("answer",) if answer == "send_message" else ()
    with pytest.raises(aiohttp.ClientOSError):
        await getattr(response, answer)(*args)
    assert not response.is_done()
    assert response._timer is not None and not response._timer.cancelled()
    await response.send_message("Something went wrong")  # what the error handler does
    assert sent == ["failed", "Something went wrong"]
    assert response.is_done()
    assert response._timer.cancelled()


async def test_a_direct_answer_discord_took_stays_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after Discord acknowledged (discord.py set the response's type) does not
    open the response again: a second answer would be refused (40060)."""

    async def sent_then_failed(self: Any, *args: Any, **kwargs: Any) -> None:
        self._response_type = discord.InteractionResponseType.channel_message
        raise aiohttp.ClientOSError(104, "Connection reset by peer")

    monkeypatch.setattr(discord.InteractionResponse, "send_message", sent_then_failed)
    response = TimelyResponse(command(), Acks())
    response.arm(60.0)
    with pytest.raises(aiohttp.ClientOSError):
        await response.send_message("answer")
    assert response.is_done()
    assert response._timer is not None and response._timer.cancelled()


@pytest.mark.parametrize("code", sorted(GONE))
async def test_a_press_that_can_no_longer_be_answered_is_noted_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, code: int
) -> None:
    monkeypatch.setattr(timely, "LATE", Throttled())

    @timely.gone_noted
    async def callback(self: Any, interaction: Any) -> None:
        raise http_error(404, code, "Unknown interaction")

    with caplog.at_level(logging.WARNING, logger="bot.discord.timely"):
        await callback(None, command())
    (line,) = [r for r in caplog.records if r.name == "bot.discord.timely"]
    assert str(code) in line.getMessage() and line.exc_info is None


async def test_a_press_that_failed_otherwise_still_raises() -> None:
    @timely.gone_noted
    async def callback(self: Any, interaction: Any) -> None:
        raise http_error(500, 0, "Internal Server Error")

    with pytest.raises(discord.HTTPException):
        await callback(None, command())
