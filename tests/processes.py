"""Running the real ``digestbot run`` under test, and waiting for it without fixed sleeps."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


async def start_digestbot_run(
    folder: Path, db: Path, settings: dict[str, str]
) -> asyncio.subprocess.Process:
    """``digestbot run`` in ``folder`` on the database ``db`` with these settings (no feeds
    file), its output captured."""
    exe = shutil.which("digestbot", path=str(Path(sys.executable).parent))
    assert exe, "digestbot is not installed next to this Python"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "FEEDS_FILE": str(folder / "none.toml"),
        **settings,
    }
    return await asyncio.create_subprocess_exec(
        exe,
        "run",
        cwd=folder,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


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
