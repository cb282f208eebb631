"""A whole newsroom for the browser tests: the real ``digestbot run`` on a SQLite file in a
temporary folder, talking to the fake Bot API, polling an RSS feed served on 127.0.0.1, with
console accounts, subscribers and stored articles (one of them titled with a script)."""

from __future__ import annotations

import asyncio
import contextlib
import html
import os
import shutil
import signal
import socket
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from bot.web.passwords import hash_password
from digests.models import Category
from digests.store import Store
from tests.builders import add_article
from tests.fakes.telegram_api import FakeTelegram

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).parents[4]
TOKEN = "123456:browser-test-token-never-shown"
PASSWORD = "correct horse battery"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
# Stored before start, in "climate": the breaking pushes pick the first two.
ARTICLES = (
    ("https://desk.example/heat", "Heat pumps overtake gas boilers"),
    ("https://desk.example/glaciers", "Glaciers retreat for a tenth year"),
    ("https://desk.example/hostile", HOSTILE),
)
WIRE_TITLE = "Chip makers open a new fab in Đà Nẵng"
# More readers than the worker takes at once for Telegram at TELEGRAM_MAX_RATE=8 (4), so a
# push held at the fake Bot API still has sends to cancel.
SUBSCRIBERS = tuple(str(chat) for chat in range(1001, 1007))


@dataclass
class Gate:
    """Holds the fake Bot API's sends while closed (a push stays under way until the test
    has pressed cancel), and counts what it held."""

    open: asyncio.Event = field(default_factory=asyncio.Event)
    held: int = 0

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.rsplit("/", 1)[-1].startswith("send") and not self.open.is_set():
            self.held += 1
            await self.open.wait()
        return await handler(request)


@dataclass
class Newsroom:
    base: str  # the console's origin, http://127.0.0.1:<port>
    feed_url: str  # the local RSS feed, not yet known to the bot
    fake: FakeTelegram
    gate: Gate
    db: Path
    folder: Path
    process: asyncio.subprocess.Process

    async def ready(self) -> None:
        """Wait until the console answers (the browser starts meanwhile)."""
        await until_serving(self.process, self.base, self.folder)


def screenshots_folder() -> Path:
    """Where every page's screenshot goes: $CONSOLE_SCREENSHOTS, or screenshots/console at
    the repository's root (ignored by git)."""
    folder = Path(os.environ.get("CONSOLE_SCREENSHOTS") or ROOT / "screenshots" / "console")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def rss(now: datetime) -> bytes:
    date = format_datetime(now - timedelta(minutes=30))
    items = "".join(
        f"<item><title>{title}</title><link>https://wire.example/{n}</link>"
        f"<guid>wire-{n}</guid><pubDate>{date}</pubDate>"
        f"<description>What happened, briefly.</description></item>"
        for n, title in enumerate((WIRE_TITLE, "Phone makers cut prices"), 1)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Local wire</title><link>https://wire.example/</link>{items}</channel></rss>"
    ).encode()


async def prepare(db: Path) -> None:
    """Categories, three Telegram subscribers of climate (not due for a day), the stored
    articles, an editor, an admin and an account for the throttle."""
    now = datetime.now(UTC)
    store = await Store.open(db)
    try:
        await store.upsert_category(Category("climate", "Climate", "", 0))
        await store.upsert_category(Category("tech", "Tech", "", 1))
        for chat in SUBSCRIBERS:
            reader = await store.upsert_subscriber("telegram", chat, now=now)
            await store.subscribe(reader.id, ["climate"], now=now)
            await store.update_subscriber(
                reader.id, now=now, next_digest_at=now + timedelta(days=1)
            )
        for age, (url, title) in enumerate(ARTICLES, 1):
            # An import's title is HTML (its markup is removed): escaped, the script is text.
            await add_article(
                store, url=url, title=html.escape(title), now=now, age=timedelta(minutes=age)
            )
        stored = await store.find_article_by_url(ARTICLES[-1][0])
        assert stored is not None and stored.title == HOSTILE, "the hostile title is kept as text"
        hashed = hash_password(PASSWORD)  # once: argon2 is slow on purpose
        for name, role in (("ed", "editor"), ("ada", "admin"), ("typo", "editor")):
            await store.add_console_user(
                name, role=role, password_hash=hashed, must_change=False, now=now
            )
    finally:
        await store.close()
    yesterdays_traffic(db, now)


def yesterdays_traffic(db: Path, now: datetime) -> None:
    """Messages sent per minute over the last day (the morning digests' peaks), so the
    overview's chart has something to draw before the first push."""
    rows = []
    for back in range(1, 24 * 60):
        at = now - timedelta(minutes=back)
        # Morning and evening digests go out at the top of their hours; a trickle between.
        peak = {0: 30, 1: 12, 7: 45, 8: 20, 12: 18, 18: 25}.get(at.hour, 0)
        telegram = 3 + back % 4 + (peak if at.minute < 20 else peak // 4)
        minute = at.strftime("%Y-%m-%dT%H:%M")
        rows.append((minute, "telegram", telegram, 1 if telegram > 40 and back % 7 == 0 else 0))
        rows.append((minute, "discord", 1 + telegram // 3, 0))
    with contextlib.closing(sqlite3.connect(db)) as connection, connection:
        connection.executemany(
            "INSERT INTO send_minutes (minute, platform, sent, limited) VALUES (?, ?, ?, ?)", rows
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def start_run(folder: Path, db: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """``digestbot run``, its output to files (a long run never fills a pipe)."""
    exe = shutil.which("digestbot", path=str(Path(sys.executable).parent))
    assert exe, "digestbot is not installed next to this Python"
    return await asyncio.create_subprocess_exec(
        exe,
        "run",
        cwd=folder,
        env={
            **os.environ,
            "DATABASE_URL": f"sqlite:///{db}",
            "FEEDS_FILE": str(folder / "none.toml"),
            **env,
        },
        stdout=(folder / "run.out").open("wb"),
        stderr=(folder / "run.err").open("wb"),
    )


async def until_serving(process: asyncio.subprocess.Process, base: str, folder: Path) -> None:
    """Wait until the console answers (or fail with what the process said)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    async with httpx.AsyncClient(base_url=base) as client:
        while loop.time() < deadline:
            assert process.returncode is None, (folder / "run.err").read_text()
            try:
                if (await client.get("/console/login")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(
        "digestbot run never served the console: " + (folder / "run.err").read_text()
    )


async def stop(process: asyncio.subprocess.Process, folder: Path) -> None:
    """SIGTERM, then print what the bot logged at ERROR (shown when the test failed: a 500
    page's traceback is in there)."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()
    logged = (folder / "run.err").read_text(errors="replace")
    if "Traceback" in logged or "ERROR" in logged:
        print("digestbot run logged:\n" + logged[-6000:])
