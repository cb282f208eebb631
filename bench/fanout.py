"""Benchmark: fan out digests to distinct Telegram chats at the platform's limit.

Usage: python -m bench.fanout [--digests 10000] [--rate 30]

A fake Bot API server (tests/fakes/telegram_api.py) runs in its own process on 127.0.0.1,
enforcing ``--rate`` messages/s overall and about 1/s per chat, and answers 429 with
retry_after beyond them. The real delivery worker sends the digests through
python-telegram-bot, paced by the token-bucket Pacer configured with the same cap.
Prints the sustained rate against the cap (target ≥ 0.9×), the share of requests that
drew a 429 (target ≤ 0.5 %), and lost and duplicated digests (target 0).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bench.common import (
    TELEGRAM_TOKEN,
    drain,
    enqueue_digests,
    fake_stats,
    insert_subscribers,
    options,
    print_fanout,
    scratch,
    start_fake_telegram,
)
from bot.telegram.sender import TelegramSender
from digests.deliver import DeliveryWorker
from digests.outgoing import OutgoingMessage
from digests.pacing import Pacer, telegram_policy
from digests.settings import DeliveryLimits
from digests.store import Store
from digests.timeutil import SystemClock


async def prepare(store: Store, count: int) -> None:
    now = datetime.now(UTC)
    rows = [
        {"id": i, "platform": "telegram", "chat_id": str(100_000 + i)} for i in range(1, count + 1)
    ]
    await insert_subscribers(store, rows, now=now)
    bodies = [
        OutgoingMessage(
            text=f"<b>📰 Your news digest</b>\n<i>variant {v}</i>\n\n"
            + '<a href="https://news.example/1"><b>A story</b></a>\n' * 12,
            parse_mode="HTML",
        )
        for v in range(20)
    ]
    await enqueue_digests(store, "telegram", bodies, count, now=now, cursor=1)


async def run(count: int, rate: float, base: str) -> None:
    store = await Store.open(scratch("fanout") / "f.db")
    await prepare(store, count)
    sender = TelegramSender.build(TELEGRAM_TOKEN, f"{base}/bot", pool_size=64)
    limits = DeliveryLimits(telegram_max_rate=rate, concurrency=64)
    worker = DeliveryWorker(
        store,
        {"telegram": sender},
        Pacer({"telegram": telegram_policy(rate)}),
        SystemClock(),
        limits,
    )
    elapsed = await drain(worker)
    await sender.close()
    counts = (await store.outbox_counts()).get("telegram", {})
    await store.close()
    stats = fake_stats(base)
    per_chat: dict[str, int] = stats["per_chat"]
    print_fanout(
        f"{count} to distinct private chats",
        elapsed,
        rate,
        accepted=int(stats["accepted"]),
        requests=int(stats["requests"]),
        too_many=int(stats["too_many"]),
        lost=count - len(per_chat),
        duplicated=sum(per_chat.values()) - len(per_chat),
        outbox=counts,
    )


def main() -> None:
    args = options(__doc__, digests=10_000, rate=30.0)
    process, base = start_fake_telegram(args.rate)
    try:
        asyncio.run(run(args.digests, args.rate, base))
    finally:
        process.terminate()
        process.wait(5)


if __name__ == "__main__":
    main()
