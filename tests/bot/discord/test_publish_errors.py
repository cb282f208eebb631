"""What a refused publish asked for: a 429's wait (however it came), or nothing (any other
failure, which is counted but sets no hold)."""

from __future__ import annotations

from dataclasses import dataclass, field

import discord
import pytest

from bot.discord.sender import publish_retry_after


@dataclass
class Response:
    """The parts of an aiohttp response that discord.HTTPException reads."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    reason: str = "Too Many Requests"


@pytest.mark.parametrize(
    ("error", "wait"),
    [
        (discord.RateLimited(3600.0), 3600.0),
        # A 429 discord.py did not take for Discord's (no Via header): its Retry-After.
        (discord.HTTPException(Response(429, {"Retry-After": "120"}), "slow down"), 120.0),
        # No wait to read, or a hostile one: the default hold (-1), never a crash.
        (discord.HTTPException(Response(429), "slow down"), -1.0),
        (discord.HTTPException(Response(429, {"Retry-After": "soon\u202e"}), "x"), -1.0),
        (discord.HTTPException(Response(429, {"Retry-After": "9" * 5000}), "x"), float("9" * 20)),
        (discord.HTTPException(Response(400), {"code": 50024, "message": "wrong type"}), None),
        (discord.Forbidden(Response(403), {"code": 50013, "message": "no"}), None),
        (TimeoutError(), None),
    ],
)
def test_publish_retry_after(error: Exception, wait: float | None) -> None:
    assert publish_retry_after(error) == wait
