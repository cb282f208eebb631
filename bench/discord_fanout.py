"""Benchmark: fan out digests to distinct Discord channels at Discord's global limit.

Usage: python bench/discord_fanout.py [--digests 3000] [--rate 50]

The fake Discord REST API (tests/fakes/discord_api.py) runs in this process on 127.0.0.1,
enforcing ``--rate`` messages/s overall (a sliding one-second window) and 5 messages per
5 s per channel, answering 429 beyond them. The real delivery worker sends each digest (a
message with three embeds) through discord.py's HTTP client, paced by the Pacer at the
same cap. Prints the sustained rate against the cap (target ≥ 0.9×), the share of
requests that drew a 429 (target ≤ 0.5 %), and lost and duplicated digests (target 0).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.discord.sender import DiscordSender  # noqa: E402
from digests.deliver import DeliveryWorker  # noqa: E402
from digests.outgoing import OutgoingMessage  # noqa: E402
from digests.pacing import Pacer, discord_policy  # noqa: E402
from digests.settings import DeliveryLimits  # noqa: E402
from digests.store import OutboxItem, Store  # noqa: E402
from digests.timeutil import SystemClock  # noqa: E402
from tests.fakes.discord_api import FakeDiscord  # noqa: E402

TOKEN = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhIjKl.fanout-bench-token-for-the-local-fake-only"


async def prepare(store: Store, count: int) -> None:
    now = datetime.now(UTC)
    await store._db.execute("BEGIN")
    await store._db.executemany(
        "INSERT INTO subscribers (id, platform, chat_id, guild_id, created_at, updated_at) "
        "VALUES (?, 'discord', ?, '500', ?, ?)",
        [(i, str(700_000 + i), now.isoformat(), now.isoformat()) for i in range(1, count + 1)],
    )
    await store._db.execute("COMMIT")
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
    items = [
        OutboxItem(i, "digest", "2026-11-27", "discord", [bodies[i % 20]], story_ids=(i,))
        for i in range(1, count + 1)
    ]
    for start in range(0, count, 2000):
        await store.enqueue(items[start : start + 2000], now=now)


async def main(count: int, rate: float) -> None:
    fake = FakeDiscord(token=TOKEN, global_per_second=rate)
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    store = await Store.open(Path(tempfile.mkdtemp(prefix="digestbot-dfanout-")) / "f.db")
    await prepare(store, count)
    sender = await DiscordSender.start(TOKEN, f"{base}/api/v10")
    worker = DeliveryWorker(
        store,
        {"discord": sender},
        Pacer({"discord": discord_policy(rate)}),
        SystemClock(),
        DeliveryLimits(discord_max_rate=rate, concurrency=64),
    )
    started = time.perf_counter()
    while await worker.run_once(limit=2000):
        pass
    elapsed = time.perf_counter() - started
    await sender.close()
    counts = (await store.outbox_counts()).get("discord", {})
    await store.close()
    await runner.cleanup()
    per_channel = Counter(m["channel"] for m in fake.messages)
    accepted = len(fake.messages)
    requests = accepted + fake.too_many
    print(f"digests:           {count} to distinct channels (3 embeds each), cap {rate:g} msg/s")
    print(f"elapsed:           {elapsed:.1f} s")
    print(
        f"sustained rate:    {accepted / elapsed:.1f} msg/s = "
        f"{accepted / elapsed / rate:.2f} × cap (target ≥ 0.9)"
    )
    print(
        f"429 answers:       {fake.too_many} of {requests} requests = "
        f"{100 * fake.too_many / max(1, requests):.2f} % (target ≤ 0.5 %)"
    )
    print(
        f"lost:              {count - len(per_channel)}; duplicated: "
        f"{accepted - len(per_channel)}; outbox: {counts}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--digests", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=50.0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.digests, arguments.rate))
