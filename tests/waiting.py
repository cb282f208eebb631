"""Waiting for a process under test to do something, without fixed sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


async def until(check: Callable[[], Any], timeout: float = 15) -> Any:
    """Poll ``check`` until it returns something truthy (returned), or fail after
    ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        result = check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting for the bot")
