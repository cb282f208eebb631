"""Benchmark: one chat floods the bot with 300 commands and 40 button presses within a
second; how long do the others wait?

Usage: python -m bench.command_flood [--platform both|telegram|discord] [--others 30]

On each platform the fake API runs in this process and the real ``digestbot run`` is a
subprocess. One chat (a private Telegram chat; one member in one Discord channel) sends 300
commands and 40 presses of a category button spread over one second, while ``--others``
readers elsewhere each send one command during that second. Prints p50 and p99 of the
others' wait: until the reply is accepted (Telegram), until the interaction is
acknowledged (Discord); goal p99 < 2 s on Telegram, < 1 s on Discord. Also prints whether
every press was answered, and what the flooding chat got.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.common import add_categories, options, scratch, serve, start_run, stop_run
from digests.store import Store
from tests.fakes import telegram_updates as tu
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_interactions import MANAGE_CHANNELS, press, slash
from tests.fakes.telegram_api import FakeTelegram

TELEGRAM_TOKEN = "123456789:flood-bench-token-for-the-local-fake-only"
DISCORD_TOKEN = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhIjKl.flood-bench-token-for-the-local-fake"
CATEGORIES = ("ai-frontier", "climate", "markets")
FLOODER = 5_000_001
WARM_UP = 6_999_999
COMMANDS, PRESSES = 300, 40
# The others' replies are waited for this long; one not answered by then counts as this.
PATIENCE_S = 60.0


def percentiles(waits: list[float]) -> str:
    ordered = sorted(waits)
    p99 = ordered[max(0, int(len(ordered) * 0.99 + 0.5) - 1)]
    return f"p50 {statistics.median(ordered):.2f} s, p99 {p99:.2f} s"


async def prepare(db: Path) -> None:
    store = await Store.open(db)
    await add_categories(store, CATEGORIES)
    await store.close()


async def until(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not check() and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)


def interleave(flood: list[Any], others: list[Any]) -> list[tuple[bool, Any]]:
    """The flood with one of ``others`` after every few of its items: (is_other, item)."""
    every = max(1, len(flood) // max(1, len(others)))
    merged: list[tuple[bool, Any]] = []
    waiting = list(others)
    for n, item in enumerate(flood, 1):
        merged.append((False, item))
        if n % every == 0 and waiting:
            merged.append((True, waiting.pop(0)))
    return merged + [(True, item) for item in waiting]


async def spread(items: list[Any], send: Callable[[Any], Any], seconds: float = 1.0) -> None:
    """Send ``items`` evenly over ``seconds``, in ten steps."""
    step = max(1, len(items) // 10)
    for start in range(0, len(items), step):
        for item in items[start : start + step]:
            await send(item)
        await asyncio.sleep(seconds / 10)


async def telegram(others: int) -> None:
    db = scratch("flood-tg") / "flood.db"
    await prepare(db)
    fake = FakeTelegram(token=TELEGRAM_TOKEN)
    replied: dict[str, float] = {}
    handle = fake.handle

    async def timed(request: web.Request) -> web.Response:
        response = await handle(request)
        if request.match_info["method"] == "sendMessage" and response.status == 200:
            replied.setdefault(fake.messages[-1]["chat_id"], time.perf_counter())
        return response

    fake.handle = timed  # type: ignore[method-assign]
    runner, base = await serve(fake.app())
    settings = {"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_API_BASE_URL": f"{base}/bot"}
    bot = await start_run(
        db, settings, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    kinds = ("/start", "/help", "/categories")
    flood: list[dict[str, Any]] = [
        tu.command(kinds[i % 3], chat_id=FLOODER) for i in range(COMMANDS)
    ] + [
        tu.press("cat:climate", chat_id=FLOODER, user_id=FLOODER, message_id=1)
        for _ in range(PRESSES)
    ]
    random.Random(19).shuffle(flood)  # presses among the commands
    asked: dict[str, float] = {}
    chats = [str(6_000_000 + i) for i in range(others)]

    async def send(step: tuple[bool, Any]) -> None:
        is_other, item = step
        if is_other:
            asked[item] = time.perf_counter()
            fake.push(tu.command("/start", chat_id=int(item)))
        else:
            fake.push(item)

    try:
        await until(lambda: "vi" in fake.commands, 60)
        fake.push(tu.command("/start", chat_id=WARM_UP))  # polling has started
        await until(lambda: str(WARM_UP) in replied, 60)
        await spread(interleave(flood, chats), send)
        presses = {u["callback_query"]["id"] for u in flood if "callback_query" in u}

        def answered() -> set[str]:
            return {
                c["callback_query_id"] for m, c in fake.calls if m == "answerCallbackQuery"
            } & presses

        await until(lambda: all(c in replied for c in chats), PATIENCE_S)
        await until(lambda: answered() == presses, 5)
    finally:
        await stop_run(bot)
        await runner.cleanup()
    waits = [replied.get(c, asked[c] + PATIENCE_S) - asked[c] for c in chats]
    late = sum(c not in replied for c in chats)
    flooded = fake.sent_to(str(FLOODER))
    print("telegram:")
    print(f"  flood:       {COMMANDS} commands + {PRESSES} presses from one chat in 1 s")
    print(
        f"  others:      {others} readers' /start answered: {percentiles(waits)}"
        f" (goal p99 < 2 s){f'; {late} not within {PATIENCE_S:.0f} s' if late else ''}"
    )
    print(f"  presses:     {len(answered())} of {PRESSES} answered")
    print(
        f"  flooder got: {len(flooded)} messages, "
        f"{sum('Too many' in m['text'] for m in flooded)} of them 'slow down'; "
        f"429 answers: {fake.too_many}"
    )


async def discord(others: int) -> None:
    db = scratch("flood-dc") / "flood.db"
    await prepare(db)
    fake = FakeDiscord(token=DISCORD_TOKEN)
    fake.guilds["500"] = {}
    acked: dict[str, float] = {}
    callback = fake.callback

    async def timed(request: web.Request) -> web.StreamResponse:
        acked.setdefault(request.match_info["id"], time.perf_counter())
        return await callback(request)

    fake.callback = timed  # type: ignore[method-assign]
    runner, base = await serve(fake.app())
    settings = {
        "DISCORD_BOT_TOKEN": DISCORD_TOKEN,
        "DISCORD_API_BASE_URL": f"{base}/api/v10",
        "LOG_LEVEL": "WARNING",
    }
    bot = await start_run(
        db, settings, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    manager = {"permissions": MANAGE_CHANNELS, "channel_id": 900}
    flood = [
        slash("news", "subscribe", {"category": CATEGORIES[i % 3]}, **manager)
        if i % 2
        else slash("news", "list", channel_id=900)
        for i in range(COMMANDS)
    ] + [press("news:cat:climate", **manager) for _ in range(PRESSES)]
    random.Random(19).shuffle(flood)
    mine = [slash("news", "list", user_id=100 + i, channel_id=1000 + i) for i in range(others)]
    asked: dict[str, float] = {}

    async def send(step: tuple[bool, Any]) -> None:
        is_other, payload = step
        if is_other:
            asked[payload["id"]] = time.perf_counter()
        await fake.dispatch("INTERACTION_CREATE", payload)

    try:
        await until(lambda: fake.connected >= 1, 60)
        warm_up = slash("news", "list", user_id=99, channel_id=999)
        await fake.dispatch("INTERACTION_CREATE", warm_up)  # the client is ready
        await until(lambda: warm_up["id"] in acked, 60)
        await spread(interleave(flood, mine), send)
        await until(lambda: all(p["id"] in acked for p in [*flood, *mine]), 30)
    finally:
        await stop_run(bot)
        await runner.cleanup()
    waits = [acked.get(i, asked[i] + 30) - asked[i] for i in asked]
    presses = [p["id"] for p in flood if p["type"] == 3]
    slowed = sum(
        "Slow down" in (r.get("data") or {}).get("content", "")
        for r in fake.responses
        if r["interaction"] in {p["id"] for p in flood}
    )
    late = sum(p["id"] not in acked for p in flood)
    print("discord:")
    print(f"  flood:       {COMMANDS} commands + {PRESSES} presses from one member in 1 s")
    print(
        f"  others:      {others} members' /news list acknowledged: {percentiles(waits)}"
        " (goal p99 < 1 s)"
    )
    print(f"  presses:     {sum(p in acked for p in presses)} of {PRESSES} acknowledged")
    print(f"  flooder got: {slowed} 'slow down' answers; not acknowledged: {late}")


async def main(platform: str, others: int) -> None:
    if platform in ("both", "telegram"):
        await telegram(others)
    if platform in ("both", "discord"):
        await discord(others)


if __name__ == "__main__":
    args = options(__doc__, platform="both", others=30)
    asyncio.run(main(args.platform, args.others))
