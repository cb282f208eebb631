"""Running the real ``digestbot run`` under test, and waiting for it without fixed sleeps."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from digests.dburl import PostgresUrl


async def start_digestbot_run(
    folder: Path, db: Path | PostgresUrl, settings: dict[str, str]
) -> asyncio.subprocess.Process:
    """``digestbot run`` in ``folder`` on the database ``db`` (a SQLite file or a
    PostgreSQL URL) with these settings (no feeds file), its output captured."""
    exe = shutil.which("digestbot", path=str(Path(sys.executable).parent))
    assert exe, "digestbot is not installed next to this Python"
    env = {
        **os.environ,
        "DATABASE_URL": db.dsn if isinstance(db, PostgresUrl) else f"sqlite:///{db}",
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


class Output:
    """A running process's stdout and stderr, read as they come: a test that times out
    can show what the process last said, and the teardown still gets all of it."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None and process.stderr is not None
        self.process = process
        self.out = bytearray()
        self.err = bytearray()
        self._readers = [
            asyncio.create_task(self._read(process.stdout, self.out)),
            asyncio.create_task(self._read(process.stderr, self.err)),
        ]

    @staticmethod
    async def _read(stream: asyncio.StreamReader, into: bytearray) -> None:
        while chunk := await stream.read(65536):
            into += chunk

    def tail(self, lines: int = 30) -> str:
        """The last ``lines`` lines the process wrote on each stream."""
        said = [
            f"--- {name} ---\n" + "\n".join(data.decode(errors="replace").splitlines()[-lines:])
            for name, data in (("stdout", self.out), ("stderr", self.err))
        ]
        return "\n".join(said)

    async def until(self, check: Callable[[], Any], timeout: float = 30) -> Any:
        """``until``, failing with the process's last words."""
        try:
            return await until(check, timeout)
        except AssertionError:
            raise AssertionError("timed out waiting for the bot\n" + self.tail()) from None

    async def stop(self, timeout: float = 20) -> tuple[str, str]:
        """SIGTERM the process (if it still runs), wait for it, and return all it wrote."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(asyncio.gather(self.process.wait(), *self._readers), timeout)
        return self.out.decode(), self.err.decode()


async def until(check: Callable[[], Any], timeout: float = 30) -> Any:
    """Poll ``check`` until it returns something truthy (returned), or fail after
    ``timeout`` seconds (by default generous: the process under test shares two cores with
    the suite's workers; 15 s was once not enough for Discord's two shards to connect)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        result = check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting for the bot")


async def run_until_platforms_off(
    folder: Path, telegram: tuple[str, str], discord: tuple[str, str]
) -> tuple[str, str, int | None]:
    """``digestbot run`` at DEBUG against a Telegram and a Discord server that refuse it,
    each given as (token, base URL), until it has said both are off; then SIGTERM.
    Returns stdout, stderr and the exit status."""
    (telegram_token, telegram_base), (discord_token, discord_base) = telegram, discord
    process = await start_digestbot_run(
        folder,
        folder / "bot.db",
        {
            "TELEGRAM_BOT_TOKEN": telegram_token,
            "TELEGRAM_API_BASE_URL": f"{telegram_base}/bot",
            "DISCORD_BOT_TOKEN": discord_token,
            "DISCORD_API_BASE_URL": f"{discord_base}/api/v10",
            "DISCORD_GATEWAY_URL": discord_base.replace("http://", "ws://") + "/gateway",
            "LOG_LEVEL": "DEBUG",
        },
    )
    try:
        assert process.stdout is not None
        seen = await read_until(process.stdout, "telegram commands off", "discord off")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 20)
    return seen + out.decode(), err.decode(), process.returncode


async def read_until(stream: asyncio.StreamReader, *needles: str, timeout: float = 30) -> str:
    """Lines from ``stream`` until every needle was seen (or the stream ends)."""
    text = ""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not all(needle in text for needle in needles):
        line = await asyncio.wait_for(stream.readline(), max(0.1, deadline - loop.time()))
        if not line:
            break
        text += line.decode()
    return text
