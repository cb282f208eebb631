"""The fake Discord API refuses interaction answers as Discord does, so a bot bug shows
in tests: content over 2,000 characters or embeds over their limits in an answer, a
follow-up or an edit (400 50035), a second answer to one interaction (400 40060), and an
answer later than 3 s after the interaction was created (404 10062)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from bot.discord.timely import LATE
from tests.fakes.discord_api import FakeDiscord, snowflake, snowflake_time
from tests.fakes.discord_interactions import slash

API = "/api/v10"


async def send(
    session: aiohttp.ClientSession, method: str, url: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    async with session.request(method, url, json=body) as response:
        data = await response.json() if response.status != 204 else {}
        return response.status, data


def message(content: str) -> dict[str, Any]:
    return {"type": 4, "data": {"content": content, "flags": 64}}


async def test_answers_follow_ups_and_edits_over_the_limits_are_refused(local_server) -> None:  # type: ignore[no-untyped-def]
    fake = FakeDiscord()
    base = await local_server(fake.app())
    now = str(snowflake(time.time(), 1))
    async with aiohttp.ClientSession(base) as session:
        status, error = await send(
            session, "POST", f"{API}/interactions/{now}/tok/callback", message("x" * 2001)
        )
        assert (status, error["code"]) == (400, 50035)
        assert fake.responses == []
        status, _ = await send(
            session, "POST", f"{API}/interactions/{now}/tok/callback", message("x" * 2000)
        )
        assert status == 204 and len(fake.responses) == 1
        status, error = await send(
            session, "POST", f"{API}/webhooks/1/tok", {"content": "y" * 2001}
        )
        assert (status, error["code"]) == (400, 50035)
        big_embed = {"embeds": [{"title": "t", "description": "d" * 4097}]}
        status, error = await send(
            session, "PATCH", f"{API}/webhooks/1/tok/messages/@original", big_embed
        )
        assert (status, error["code"]) == (400, 50035)
        status, _ = await send(
            session, "PATCH", f"{API}/webhooks/1/tok/messages/@original", {"components": []}
        )
        assert status == 200
    assert fake.followups == [] and len(fake.edits) == 1
    assert [r["kind"] for r in fake.refused] == ["response", "followup", "edit"]


async def test_a_second_or_late_answer_is_refused(local_server) -> None:  # type: ignore[no-untyped-def]
    fake = FakeDiscord()
    base = await local_server(fake.app())
    fresh = str(snowflake(time.time(), 2))
    stale = str(snowflake(time.time() - 4, 3))
    async with aiohttp.ClientSession(base) as session:
        assert (await send(session, "POST", f"{API}/interactions/{fresh}/t/callback", {"type": 6}))[
            0
        ] == 204
        status, error = await send(
            session, "POST", f"{API}/interactions/{fresh}/t/callback", message("again")
        )
        assert (status, error) == (
            400,
            {"code": 40060, "message": "Interaction has already been acknowledged."},
        )
        status, error = await send(
            session, "POST", f"{API}/interactions/{stale}/t/callback", message("late")
        )
        assert (status, error["code"]) == (404, 10062)
    assert [r["interaction"] for r in fake.responses] == [fresh]


def test_snowflakes_carry_their_time() -> None:
    at = 1_764_000_000.25
    assert snowflake_time(str(snowflake(at, 7))) == at
    assert snowflake_time("10075") is None


async def test_a_late_answer_is_one_log_line_without_a_traceback(  # type: ignore[no-untyped-def]
    discord_bot, caplog, monkeypatch
) -> None:
    # An interaction Discord created 10 s ago (a backlog under a burst): its answer is
    # refused with 10062, and the bot says so in one line instead of logging a traceback
    # per late answer, which slowed every later answer of a burst.
    # A warning said by an earlier test in this process must not hold this one's.
    monkeypatch.setattr(LATE, "_said_at", float("-inf"))
    discord_bot.fake.refused_expected = True
    payload = slash("news", "list")
    payload["id"] = str(snowflake(time.time() - 10, 1))
    before = len(discord_bot.fake.refused)
    discord_bot.client._connection.parse_interaction_create(payload)
    refused = await discord_bot.fake.wait_for("refused", before + 1)
    assert refused[-1]["code"] == 10062
    for _ in range(50):  # the error handler runs after the refused answer comes back
        if any("could not be answered" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.02)
    lines = [r for r in caplog.records if r.name.startswith("bot.discord")]
    assert [r.levelname for r in lines] == ["WARNING"]
    assert "10062" in lines[0].getMessage() and lines[0].exc_info is None
