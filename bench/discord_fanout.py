"""Benchmark: fan out digests to distinct Discord channels at Discord's global limit.

Usage: python -m bench.discord_fanout [--digests 3000] [--rate 50]

The fake Discord REST API (tests/fakes/discord_api.py) runs in this process on 127.0.0.1,
enforcing ``--rate`` messages/s overall (a sliding one-second window) and 5 messages per
5 s per channel, answering 429 beyond them. The real delivery worker sends each digest (a
message with three embeds) through discord.py's HTTP client, paced by the Pacer at the
same cap. Prints the sustained rate against the cap (target ≥ 0.9×), the share of
requests that drew a 429 (target ≤ 0.5 %), and lost and duplicated digests (target 0).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

from bench.common import (
    drain,
    enqueue_digests,
    insert_subscribers,
    options,
    print_fanout,
    scratch,
    serve,
)
from bot.discord.sender import DiscordSender
from digests.deliver import DeliveryWorker
from digests.outgoing import OutgoingMessage
from digests.pacing import Pacer, discord_policy
from digests.settings import DeliveryLimits
from digests.store import Store
from digests.timeutil import SystemClock
from tests.fakes.discord_api import FakeDiscord

TOKEN = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhIjKl.fanout-bench-token-for-the-local-fake-only"


async def prepare(store: Store, count: int) -> None:
    now = datetime.now(UTC)
    rows = [
        {"id": i, "platform": "discord", "chat_id": str(700_000 + i), "guild_id": "500"}
        for i in range(1, count + 1)
    ]
    await insert_subscribers(store, rows, now=now)
    bodies = [
        OutgoingMessage(
            text=f"**📰 Your news digest** — variant {v}",
            embeds=tuple(
                {
                    "title": name,
                    "description": "**[A story](https://news.example/1)**\nWhat happened.\n" * 6,
                    "color": 0x2B6CB0,
                }
                for name in ("AI Frontier", "Climate", "Markets")
            ),
        )
        for v in range(20)
    ]
    await enqueue_digests(store, "discord", bodies, count, now=now)


async def main(count: int, rate: float) -> None:
    fake = FakeDiscord(token=TOKEN, global_per_second=rate)
    runner, base = await serve(fake.app())
    store = await Store.open(scratch("dfanout") / "f.db")
    await prepare(store, count)
    sender = await DiscordSender.start(TOKEN, f"{base}/api/v10")
    worker = DeliveryWorker(
        store,
        {"discord": sender},
        Pacer({"discord": discord_policy(rate)}),
        SystemClock(),
        DeliveryLimits(discord_max_rate=rate, concurrency=64),
    )
    elapsed = await drain(worker)
    await sender.close()
    counts = (await store.outbox_counts()).get("discord", {})
    await store.close()
    await runner.cleanup()
    per_channel = Counter(m["channel"] for m in fake.messages)
    accepted = len(fake.messages)
    print_fanout(
        f"{count} to distinct channels (3 embeds each)",
        elapsed,
        rate,
        accepted=accepted,
        requests=accepted + fake.too_many,
        too_many=fake.too_many,
        lost=count - len(per_channel),
        duplicated=accepted - len(per_channel),
        outbox=counts,
    )


if __name__ == "__main__":
    args = options(__doc__, digests=3000, rate=50.0)
    asyncio.run(main(args.digests, args.rate))
