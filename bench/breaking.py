"""Benchmark: a breaking push overtakes 10,000 queued digests.

Usage: python -m bench.breaking [--queued 10000] [--subscribers 3000] [--rate 30]

The fake Bot API runs in its own process at ``--rate`` messages/s; the delivery worker
sends through python-telegram-bot. 10,000 digests are queued and being delivered when a
push to 3,000 subscribers is confirmed. Prints the time from confirmation to the first
breaking message the server accepted (target ≤ 1 s) and the time for the whole push
(target ≤ 1.1 × subscribers / cap).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from bench.common import (
    TELEGRAM_TOKEN,
    add_categories,
    enqueue_digests,
    fake_stats,
    insert_subscribers,
    options,
    scratch,
    start_fake_telegram,
)
from bot.telegram.sender import TelegramSender
from digests import breaking
from digests.deliver import DeliveryWorker
from digests.outgoing import Destination, OutgoingMessage
from digests.pacing import Pacer, telegram_policy
from digests.render import Renderer
from digests.settings import DeliveryLimits
from digests.store import Store
from digests.timeutil import SystemClock


class Watch:
    """Wraps the sender to note when the first breaking message was accepted."""

    platform = "telegram"

    def __init__(self, sender: TelegramSender) -> None:
        self.sender = sender
        self.first_breaking: float | None = None
        self.last_breaking: float | None = None
        self.breaking = 0

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        result = await self.sender.send(destination, message)
        if "Breaking news" in message.text:
            now = time.perf_counter()
            self.first_breaking = self.first_breaking or now
            self.last_breaking = now
            self.breaking += 1
        return result


async def main(queued: int, subscribers: int, rate: float, base: str) -> None:
    now = datetime.now(UTC)
    store = await Store.open(scratch("breaking") / "b.db")
    await add_categories(store, ["climate"])
    await insert_subscribers(
        store,
        [
            {"id": i, "platform": "telegram", "chat_id": str(700_000 + i)}
            for i in range(1, queued + subscribers + 1)
        ],
        now=now,
        subscriptions=[(i, "climate") for i in range(queued + 1, queued + subscribers + 1)],
    )
    digest = OutgoingMessage(
        text="<b>📰 Your news digest</b>\n" + "a story\n" * 10, parse_mode="HTML"
    )
    await enqueue_digests(store, "telegram", [digest], queued, now=now, stories=False)

    watch = Watch(TelegramSender.build(TELEGRAM_TOKEN, f"{base}/bot"))
    limits = DeliveryLimits(telegram_max_rate=rate)
    worker = DeliveryWorker(
        store,
        {"telegram": watch},
        Pacer({"telegram": telegram_policy(rate)}),
        SystemClock(),
        limits,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop, idle_wait=0.05))
    await asyncio.sleep(3)  # digests are flowing

    article = await breaking.resolve_article(
        store,
        category="climate",
        now=now,
        url="https://n.example/flood",
        title="Floods close the Mekong ferry",
    )
    confirmed = time.perf_counter()
    report = await breaking.start_push(
        store, Renderer(), category="climate", article=article, requested_by="bench", now=now
    )
    worker.wakeup.set()
    while watch.breaking < report.total:
        await asyncio.sleep(0.05)
    stop.set()
    worker.stop()
    await running
    await watch.sender.close()
    await store.close()
    assert watch.first_breaking and watch.last_breaking
    stats = fake_stats(base)
    target = 1.1 * subscribers / rate
    print(f"queued digests:      {queued} (claim size {worker.claim_size}), cap {rate:g} msg/s")
    print(
        f"first breaking:      {watch.first_breaking - confirmed:.2f} s after confirmation "
        f"(target ≤ 1 s)"
    )
    print(
        f"whole push:          {report.total} subscribers in "
        f"{watch.last_breaking - confirmed:.1f} s (target ≤ {target:.1f} s)"
    )
    print(f"429 answers:         {stats['too_many']} of {stats['requests']} requests")


if __name__ == "__main__":
    args = options(__doc__, queued=10_000, subscribers=3_000, rate=30.0)
    fake, url = start_fake_telegram(args.rate)
    try:
        asyncio.run(main(args.queued, args.subscribers, args.rate, url))
    finally:
        fake.terminate()
        fake.wait(5)
