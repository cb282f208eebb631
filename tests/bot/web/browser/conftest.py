"""Fixtures of the browser tests: the newsroom (``newsroom.py``) with ``digestbot run``
started, and Debian's Chromium driven by Playwright (headless, never downloaded).

They are function-scoped on purpose: the module has one test (the whole browser journey),
so the suite pays for one process and one browser, and xdist can never split them over two
workers.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Browser, async_playwright

from tests.bot.web.browser.newsroom import (
    CHROMIUM,
    TOKEN,
    Gate,
    Newsroom,
    free_port,
    prepare,
    rss,
    start_run,
    stop,
)
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
async def newsroom(tmp_path: Path, local_server) -> AsyncIterator[Newsroom]:  # type: ignore[no-untyped-def]
    gate = Gate()
    gate.open.set()
    fake = FakeTelegram(token=TOKEN)
    bot_api = fake.app()
    bot_api.middlewares.append(gate.middleware)
    telegram = await local_server(bot_api)
    feed = web.Application()
    body = rss(datetime.now(UTC))

    async def wire(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/rss+xml")

    feed.router.add_get("/wire.xml", wire)
    feed_base = await local_server(feed)
    db = tmp_path / "console.db"
    await prepare(db)
    port = free_port()
    process = await start_run(
        tmp_path,
        db,
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": f"{telegram}/bot",
            "API_BIND": f"127.0.0.1:{port}",
            "TELEGRAM_MAX_RATE": "8",
            "DEFAULT_LANGUAGE": "en",
        },
    )
    base = f"http://127.0.0.1:{port}"
    try:
        yield Newsroom(base, f"{feed_base}/wire.xml", fake, gate, db, tmp_path, process)
    finally:
        gate.open.set()  # sends held by a test that failed go through, so the bot can stop
        await stop(process, tmp_path)


@pytest.fixture
async def chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Browser]:
    """Debian's Chromium, headless. Playwright is told to look for browsers in an empty
    folder and never to download one: /usr/bin/chromium is the only browser used."""
    assert CHROMIUM.exists(), (
        "the browser tests need Debian's chromium at /usr/bin/chromium "
        "(apt-get install chromium; .ci/run installs it)"
    )
    empty = tmp_path / "no-browsers"
    empty.mkdir()
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(empty))
    monkeypatch.setenv("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    # Chromium's sandbox cannot start as root (CI containers); /dev/shm is small there.
    args = ["--disable-dev-shm-usage"] + (["--no-sandbox"] if os.geteuid() == 0 else [])
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )
        try:
            yield browser
        finally:
            await browser.close()
