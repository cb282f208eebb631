"""Benchmark: fan out digests to distinct Telegram chats at the platform's limit.

Usage: python bench/fanout.py [--digests 10000] [--rate 30]

A fake Bot API server (tests/fakes/telegram_api.py) runs in its own process on 127.0.0.1,
enforcing ``--rate`` messages/s overall and about 1/s per chat, and answers 429 with
retry_after beyond them. The real delivery worker sends the digests through
python-telegram-bot, paced by the token-bucket Pacer configured with the same cap.
Prints the sustained rate against the cap (target ≥ 0.9×), the share of requests that
drew a 429 (target ≤ 0.5 %), and lost and duplicated digests (target 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.telegram.sender import TelegramSender  # noqa: E402
from digests.deliver import DeliveryWorker  # noqa: E402
from digests.outgoing import OutgoingMessage  # noqa: E402
from digests.pacing import Pacer, telegram_policy  # noqa: E402
from digests.settings import DeliveryLimits  # noqa: E402
from digests.store import OutboxItem, Store  # noqa: E402
from digests.timeutil import SystemClock  # noqa: E402

TOKEN = "123456789:bench-token-for-the-local-fake-server-only"


def start_fake(rate: float) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.telegram_api", "--rate", str(rate)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("PORT "):
        process.kill()
        raise SystemExit(f"fake server did not start: {line!r}")
    return process, f"http://127.0.0.1:{line.split()[1]}"


def fake_stats(base: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{base}/_stats", timeout=10) as response:
        return json.loads(response.read())


async def prepare(store: Store, count: int) -> None:
    now = datetime.now(UTC)
    await store._db.execute("BEGIN")
    await store._db.executemany(
        "INSERT INTO subscribers (id, platform, chat_id, created_at, updated_at) "
        "VALUES (?, 'telegram', ?, ?, ?)",
        [(i, str(100_000 + i), now.isoformat(), now.isoformat()) for i in range(1, count + 1)],
    )
    await store._db.execute("COMMIT")
    bodies = [
        OutgoingMessage(
            text=f"<b>📰 Your news digest</b>\n<i>variant {v}</i>\n\n"
            + '<a href="https://news.example/1"><b>A story</b></a>\n' * 12,
            parse_mode="HTML",
        )
        for v in range(20)
    ]
    items = [
        OutboxItem(
            i, "digest", "2026-11-27", "telegram", [bodies[i % 20]], story_ids=(i,), cursor=1
        )
        for i in range(1, count + 1)
    ]
    for start in range(0, count, 2000):
        await store.enqueue(items[start : start + 2000], now=now)


async def run(count: int, rate: float, base: str) -> None:
    store = await Store.open(Path(tempfile.mkdtemp(prefix="digestbot-fanout-")) / "f.db")
    await prepare(store, count)
    sender = TelegramSender.build(TOKEN, f"{base}/bot", pool_size=64)
    limits = DeliveryLimits(telegram_max_rate=rate, concurrency=64)
    worker = DeliveryWorker(
        store,
        {"telegram": sender},
        Pacer({"telegram": telegram_policy(rate)}),
        SystemClock(),
        limits,
    )
    started = time.perf_counter()
    while await worker.run_once(limit=2000):
        pass
    elapsed = time.perf_counter() - started
    await sender.close()
    counts = (await store.outbox_counts()).get("telegram", {})
    await store.close()
    stats = fake_stats(base)
    per_chat: dict[str, int] = stats["per_chat"]  # type: ignore[assignment]
    accepted = int(stats["accepted"])  # type: ignore[arg-type]
    requests = int(stats["requests"])  # type: ignore[arg-type]
    too_many = int(stats["too_many"])  # type: ignore[arg-type]
    print(f"digests:           {count} to distinct private chats, cap {rate:g} msg/s")
    print(f"elapsed:           {elapsed:.1f} s")
    print(
        f"sustained rate:    {accepted / elapsed:.1f} msg/s = "
        f"{accepted / elapsed / rate:.2f} × cap (target ≥ 0.9)"
    )
    print(
        f"429 answers:       {too_many} of {requests} requests = "
        f"{100 * too_many / max(1, requests):.2f} % (target ≤ 0.5 %)"
    )
    print(
        f"lost:              {count - len(per_chat)}; duplicated: "
        f"{sum(per_chat.values()) - len(per_chat)}; outbox: {counts}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--digests", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=30.0)
    args = parser.parse_args()
    process, base = start_fake(args.rate)
    try:
        asyncio.run(run(args.digests, args.rate, base))
    finally:
        process.terminate()
        process.wait(5)


if __name__ == "__main__":
    main()
