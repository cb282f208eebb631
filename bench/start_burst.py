"""Benchmark: 1,000 readers press /start at once; every one is answered, none draws a 429.

Usage: python -m bench.start_burst [--readers 1000] [--rate 30]

The fake Bot API runs in this process (it enforces ``--rate`` messages/s overall and about
1/s per chat); the real ``digestbot run`` is a subprocess polling it. Prints how long the
burst took to answer, the replies' rate against the cap, and the 429 count (target 0).
"""

from __future__ import annotations

import asyncio
import signal
import time

from bench.common import add_categories, options, scratch, serve, start_run
from digests.store import Store
from tests.fakes import telegram_updates as tu
from tests.fakes.telegram_api import FakeTelegram, Limits

TOKEN = "123456789:burst-bench-token-for-the-local-fake-only"


async def main(readers: int, rate: float) -> None:
    db = scratch("burst") / "burst.db"
    store = await Store.open(db)
    await add_categories(store, ["ai-frontier", "climate", "markets"])
    await store.close()
    fake = FakeTelegram(Limits(global_per_second=rate), token=TOKEN)
    runner, base = await serve(fake.app())
    settings = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"{base}/bot",
        "TELEGRAM_MAX_RATE": str(int(rate)),
    }
    bot = await start_run(
        db, settings, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        while "vi" not in fake.commands:
            await asyncio.sleep(0.1)
        chats = [str(3_000_000 + i) for i in range(readers)]
        started = time.perf_counter()
        for chat in chats:
            fake.push(tu.command("/start", chat_id=int(chat)))
        while sum(1 for c in chats if fake.per_chat.get(c)) < readers:
            await asyncio.sleep(0.1)
            if time.perf_counter() - started > readers / rate * 3 + 60:
                break
        elapsed = time.perf_counter() - started
    finally:
        bot.send_signal(signal.SIGTERM)
        await bot.wait()
        await runner.cleanup()
    answered = sum(1 for c in chats if fake.per_chat.get(c))
    print(f"readers:        {readers} pressed /start at once; cap {rate:g} msg/s")
    print(
        f"answered:       {answered} in {elapsed:.1f} s → {answered / elapsed:.1f} replies/s "
        f"= {answered / elapsed / rate:.2f} × cap"
    )
    print(f"429 answers:    {fake.too_many} (target 0)")


if __name__ == "__main__":
    args = options(__doc__, readers=1000, rate=30.0)
    asyncio.run(main(args.readers, args.rate))
