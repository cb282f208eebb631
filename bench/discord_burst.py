"""Benchmark: a burst of Discord slash commands; each must be answered within Discord's
3-second interaction window.

Usage: python -m bench.discord_burst [--commands 1000]

The fake Discord REST API and gateway run in this process; the real ``digestbot run`` is a
subprocess connected to the fake gateway. All commands are sent as INTERACTION_CREATE
events at once, a mix of what servers do: managers subscribing channels (a store write),
members listing a channel's subscriptions, time-zone autocomplete, and digest previews
(deferred, then a follow-up with the rendered embeds). Prints, from each interaction's
creation, the time to its acknowledgement (the first response: the answer, or a deferral;
target: max < 3 s) and to its final answer (the direct response, or the edit or follow-up
after a deferral), p50, p95 and max, and how many were late or not answered.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.common import add_categories, options, scratch, serve, start_run, stop_run
from digests.ingest.importer import import_records
from digests.store import Store
from tests.fakes.discord_api import FakeDiscord, snowflake_time
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


class Timings:
    """When each interaction was created (its snowflake, Discord's clock), acknowledged
    (its first accepted response) and answered (a direct response, or the edit or
    follow-up that came after a deferral)."""

    def __init__(self) -> None:
        self.created: dict[str, float] = {}
        self.of_token: dict[str, str] = {}
        self.acked: dict[str, float] = {}
        self.answered: dict[str, float] = {}
        self.deferred = 0
        self.sent_in = 0.0  # seconds the fake gateway took to send every event

    def track(self, payloads: list[dict[str, Any]]) -> None:
        self.created = {p["id"]: snowflake_time(p["id"]) or time.time() for p in payloads}
        self.of_token = {p["token"]: p["id"] for p in payloads}

    def wrap(self, fake: FakeDiscord) -> None:
        callback, edit, followup = fake.callback, fake.edit, fake.followup

        async def timed_callback(request: web.Request) -> web.StreamResponse:
            body = await request.json()
            response = await callback(request)
            interaction = request.match_info["id"]
            if (
                response.status < 300
                and interaction in self.created
                and interaction not in self.acked
            ):
                self.acked[interaction] = time.time()
                if body.get("type") in (5, 6):
                    self.deferred += 1
                else:
                    self.answered[interaction] = self.acked[interaction]
            return response

        def timed(handler: Any) -> Any:
            async def answer(request: web.Request) -> web.StreamResponse:
                response = await handler(request)
                interaction = self.of_token.get(request.match_info["token"])
                # Discord takes an edit or follow-up only of an acknowledged interaction
                # (the fake takes any): one never acknowledged is not answered.
                answerable = interaction in self.acked and interaction not in self.answered
                if response.status < 300 and answerable:
                    self.answered[interaction] = time.time()
                return response

            return answer

        fake.callback = timed_callback  # type: ignore[method-assign]
        fake.edit = timed(edit)  # type: ignore[method-assign]
        fake.followup = timed(followup)  # type: ignore[method-assign]

    def waits(self, at: dict[str, float]) -> list[float]:
        return sorted(at[i] - self.created[i] for i in at)

    def late(self) -> int:
        """Not acknowledged within Discord's 3 s of their creation (or not at all)."""
        return sum(
            1 for i, made in self.created.items() if i not in self.acked or self.acked[i] - made > 3
        )


def distribution(waits: list[float]) -> str:
    if not waits:
        return "none"
    p95 = waits[max(0, int(len(waits) * 0.95) - 1)]
    return (
        f"p50 {statistics.median(waits) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {waits[-1] * 1000:.0f} ms"
    )


async def main(count: int) -> None:
    db = scratch("discord-burst") / "burst.db"
    await prepare(db)
    fake = FakeDiscord(token=TOKEN)
    fake.guilds["500"] = {}
    timings = Timings()
    timings.wrap(fake)  # before the app is built: its routes take the handlers then
    runner, base = await serve(fake.app())
    settings = {
        "DISCORD_BOT_TOKEN": TOKEN,
        "DISCORD_API_BASE_URL": f"{base}/api/v10",
        "LOG_LEVEL": "WARNING",
    }
    bot = await start_run(
        db, settings, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        while fake.connected < 1:
            await asyncio.sleep(0.1)
        # Created now, as Discord creates them: the window runs from here.
        payloads = burst(count)
        timings.track(payloads)
        started = time.perf_counter()
        for payload in payloads:
            await fake.dispatch("INTERACTION_CREATE", payload)
        timings.sent_in = time.perf_counter() - started
        elapsed = await until_answered(timings, count, started)
    finally:
        await stop_run(bot)  # killed if it has not stopped within 30 s
        await runner.cleanup()
    report(count, timings, elapsed, len(fake.followups))


async def until_answered(timings: Timings, count: int, started: float) -> float:
    """Wait for every answer, or until none came for 10 s (the rest never will: Discord
    refuses an answer to an interaction not acknowledged in time); the seconds from the
    first event to the last answer."""
    seen, quiet_since = 0, time.perf_counter()
    while len(timings.answered) < count and time.perf_counter() - quiet_since < 10:
        await asyncio.sleep(0.05)
        if len(timings.answered) != seen:
            seen, quiet_since = len(timings.answered), time.perf_counter()
    last = max(timings.answered.values(), default=time.time())
    return max(0.001, time.perf_counter() - started - (time.time() - last))


def report(count: int, timings: Timings, elapsed: float, followups: int) -> None:
    answered = len(timings.answered)
    print(f"commands:     {count} sent at once (subscribe 40 %, list 30 %, autocomplete 20 %,")
    print("              digest preview 10 %), each from its own member")
    print(f"              the fake gateway sent them all in {timings.sent_in * 1000:.0f} ms")
    print(f"acknowledged: {distribution(timings.waits(timings.acked))} (target: max < 3000 ms)")
    print(f"              {timings.deferred} of them by a deferral, answered later")
    print(f"answered:     {distribution(timings.waits(timings.answered))}")
    print(f"              {answered} in {elapsed:.1f} s → {answered / elapsed:.0f} answers/s")
    print(f"previews:     {followups} follow-up messages with digests")
    print(f"late:         {timings.late()} not acknowledged within 3 s (target 0)")
    print(f"unanswered:   {count - answered} (target 0)")


if __name__ == "__main__":
    args = options(__doc__, commands=1000)
    asyncio.run(main(args.commands))
