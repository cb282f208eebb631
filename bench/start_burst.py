"""Benchmark: 1,000 readers press /start at once; every one is answered, none draws a 429.

Usage: python bench/start_burst.py [--readers 1000] [--rate 30]

The fake Bot API runs in this process (it enforces ``--rate`` messages/s overall and about
1/s per chat); the real ``digestbot run`` is a subprocess polling it. Prints how long the
burst took to answer, the replies' rate against the cap, and the 429 count (target 0).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digests.models import Category  # noqa: E402
from digests.store import Store  # noqa: E402
from tests.fakes import telegram_updates as tu  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram, Limits  # noqa: E402

TOKEN = "123456789:burst-bench-token-for-the-local-fake-only"


async def main(readers: int, rate: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="digestbot-burst-"))
    store = await Store.open(folder / "burst.db")
    for i, name in enumerate(("ai-frontier", "climate", "markets")):
        await store.upsert_category(Category(name, name.title(), "", i))
    await store.close()
    fake = FakeTelegram(Limits(global_per_second=rate), token=TOKEN)
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'burst.db'}",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"{base}/bot",
        "TELEGRAM_MAX_RATE": str(int(rate)),
        "FEEDS_FILE": str(folder / "none.toml"),
    }
    bot = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "digestbot"),
        "run",
        cwd=folder,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=30.0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.readers, arguments.rate))
