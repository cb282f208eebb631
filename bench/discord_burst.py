"""Benchmark: a burst of Discord slash commands; each must be answered within Discord's
3-second interaction window.

Usage: python -m bench.discord_burst [--commands 1000]

The fake Discord REST API and gateway run in this process; the real ``digestbot run`` is a
subprocess connected to the fake gateway. All commands are sent as INTERACTION_CREATE
events at once, a mix of what servers do: managers subscribing channels (a store write),
members listing a channel's subscriptions, time-zone autocomplete, and digest previews
(deferred, then a follow-up with the rendered embeds). Prints the time from each event to
the bot's answer (p50, p95, max; target: max < 3 s) and how many were not answered.
"""

from __future__ import annotations

import asyncio
import signal
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.common import add_categories, options, scratch, serve, start_run
from digests.ingest.importer import import_records
from digests.store import Store
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_interactions import MANAGE_CHANNELS, slash

TOKEN = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhIjKl.burst-bench-token-for-the-local-fake-only"
CATEGORIES = ("ai-frontier", "climate", "markets")


async def prepare(path: Path) -> None:
    store = await Store.open(path)
    now = datetime.now(UTC)
    await add_categories(store, CATEGORIES)
    records = [
        (
            n,
            {
                "url": f"https://news.example/{n}",
                "title": f"Story {n} about {CATEGORIES[n % 3]} and its consequences",
                "summary": "What happened, briefly. And why it matters.",
                "source": f"Outlet {n % 7}",
                "category": CATEGORIES[n % 3],
                "published_at": (now - timedelta(minutes=n)).isoformat(),
            },
        )
        for n in range(1, 301)
    ]
    await import_records(store, records, now=now, story_window=timedelta(hours=48))
    for channel in range(100):  # channels that already subscribe, for list and preview
        reader = await store.upsert_subscriber(
            "discord", str(800_000 + channel), now=now, guild_id="500"
        )
        await store.subscribe(reader.id, list(CATEGORIES), now=now)
    await store.close()


# Each interaction from its own member: a burst of the whole community, not one member's
# flood (which the flood limits hold, see bench/command_flood.py).
def burst(count: int) -> list[dict[str, Any]]:
    payloads = []
    for i in range(count):
        kind = i % 10
        if kind < 4:
            payloads.append(
                slash(
                    "news",
                    "subscribe",
                    {"category": CATEGORIES[i % 3]},
                    channel_id=900_000 + i,
                    permissions=MANAGE_CHANNELS,
                    user_id=10_000 + i,
                )
            )
        elif kind < 7:
            payloads.append(slash("news", "list", channel_id=800_000 + i % 100, user_id=10_000 + i))
        elif kind < 9:
            payloads.append(
                slash(
                    "news", "timezone", {"zone": "asia/h"}, autocomplete="zone", user_id=10_000 + i
                )
            )
        else:
            payloads.append(
                slash("news", "digest", channel_id=800_000 + i % 100, user_id=10_000 + i)
            )
    return payloads


async def main(count: int) -> None:
    db = scratch("discord-burst") / "burst.db"
    await prepare(db)
    fake = FakeDiscord(token=TOKEN)
    fake.guilds["500"] = {}
    answered_at: dict[str, float] = {}
    record = fake.callback

    async def timed(request: web.Request) -> web.StreamResponse:
        answered_at[request.match_info["id"]] = time.perf_counter()
        return await record(request)

    fake.callback = timed  # type: ignore[method-assign]
    runner, base = await serve(fake.app())
    settings = {
        "DISCORD_BOT_TOKEN": TOKEN,
        "DISCORD_API_BASE_URL": f"{base}/api/v10",
        "LOG_LEVEL": "WARNING",
    }
    bot = await start_run(
        db, settings, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    payloads = burst(count)
    sent_at: dict[str, float] = {}
    try:
        while fake.connected < 1:
            await asyncio.sleep(0.1)
        started = time.perf_counter()
        for payload in payloads:
            sent_at[payload["id"]] = time.perf_counter()
            await fake.dispatch("INTERACTION_CREATE", payload)
        while len(answered_at) < count and time.perf_counter() - started < 60:
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        bot.send_signal(signal.SIGTERM)
        await bot.wait()
        await runner.cleanup()
    waits = sorted(answered_at[i] - sent_at[i] for i in answered_at if i in sent_at)
    previews = len(fake.followups)
    print(f"commands:    {count} sent at once (subscribe 40 %, list 30 %, autocomplete 20 %, ")
    print("             digest preview 10 %)")
    print(f"answered:    {len(waits)} in {elapsed:.1f} s → {len(waits) / elapsed:.0f} answers/s")
    if waits:
        p95 = waits[int(len(waits) * 0.95) - 1]
        print(
            f"answer time: p50 {statistics.median(waits) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {waits[-1] * 1000:.0f} ms (target: max < 3000 ms)"
        )
    print(f"previews:    {previews} follow-up messages with digests")
    print(f"unanswered:  {count - len(waits)} (target 0)")


if __name__ == "__main__":
    args = options(__doc__, commands=1000)
    asyncio.run(main(args.commands))
