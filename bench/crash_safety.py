"""Crash safety: kill -9 ``digestbot run`` three times during a 5,000-digest fan-out.

Usage: python -m bench.crash_safety [--digests 5000] [--rate 100] [--kills 3] [--seed N]

A fake Telegram Bot API runs in its own process and counts what it accepted per chat.
``digestbot run`` (the real command) is started on a database where every subscriber's
digest is due, killed with SIGKILL at a random moment, restarted, and so on; the last run
is left to drain the outbox and stopped with SIGTERM. Then:

- lost: subscribers whose chat never received the digest (must be 0);
- duplicates: extra copies received, which must not exceed the sends that were in flight
  at the kills (accepted by the server but not yet recorded in the database);
- the outbox holds exactly one entry per subscriber for the period.
"""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import common
from digests.delivery_settings import TELEGRAM_FREE_CAP
from digests.ingest.importer import import_records
from digests.store import Store
from digests.timeutil import to_db


async def prepare(db: Path, count: int) -> None:
    now = datetime.now(UTC)
    store = await Store.open(db)
    await common.add_categories(store, ["news"])
    await import_records(
        store,
        [
            (
                1,
                {
                    "url": "https://cms.example/story",
                    "title": "The one story everybody gets",
                    "category": "news",
                    "source": "Desk",
                    "published_at": (now - timedelta(hours=1)).isoformat(),
                },
            )
        ],
        now=now,
        story_window=timedelta(hours=48),
    )
    due = to_db(now - timedelta(minutes=1))
    await common.insert_subscribers(
        store,
        [
            {"id": i, "platform": "telegram", "chat_id": str(500_000 + i), "next_digest_at": due}
            for i in range(1, count + 1)
        ],
        now=now,
        subscriptions=[(i, "news") for i in range(1, count + 1)],
    )
    await store.close()


def recorded_sent(db: Path) -> int:
    """Parts the database records as accepted (it reads a WAL database while it is live)."""
    with sqlite3.connect(db, timeout=30) as conn:
        return int(conn.execute("SELECT COALESCE(SUM(parts_sent), 0) FROM outbox").fetchone()[0])


def pending(db: Path) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        due = conn.execute(
            "SELECT COUNT(*) FROM subscribers WHERE next_digest_at <= ?",
            (to_db(datetime.now(UTC)),),
        ).fetchone()[0]
        queued = conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'sending', 'retrying')"
        ).fetchone()[0]
    return int(due) + int(queued)


def start_bot(db: Path, base: str, rate: float, log: Path) -> subprocess.Popen[bytes]:
    settings = {
        "TELEGRAM_BOT_TOKEN": common.TELEGRAM_TOKEN,
        "TELEGRAM_API_BASE_URL": f"{base}/bot",
        "TELEGRAM_MAX_RATE": str(int(rate)),
        # Above Telegram's free 30/s only as paid broadcasts (a settings error otherwise).
        "TELEGRAM_PAID_BROADCAST": "true" if rate > TELEGRAM_FREE_CAP else "false",
        "DISPATCH_INTERVAL_SECONDS": "2",
    }
    return common.popen_run(db, settings, log=log)


def main() -> None:
    args = common.options(__doc__, digests=5000, rate=100.0, kills=3, seed=(int, None))
    rng = random.Random(args.seed)
    folder = common.scratch("crash")
    db = folder / "crash.db"
    asyncio.run(prepare(db, args.digests))
    fake, base = common.start_fake_telegram(
        min(args.rate, TELEGRAM_FREE_CAP), paid_rate=max(args.rate, TELEGRAM_FREE_CAP)
    )
    in_flight_total = 0
    try:
        span = args.digests / args.rate
        for kill in range(1, args.kills + 1):
            bot = start_bot(db, base, args.rate, folder / "bot.log")
            time.sleep(rng.uniform(1.0, max(1.5, span / (args.kills + 1))))
            bot.send_signal(signal.SIGKILL)
            bot.wait()
            accepted = int(common.fake_stats(base)["accepted"])  # type: ignore[arg-type]
            recorded = recorded_sent(db)
            in_flight = accepted - recorded
            in_flight_total += in_flight
            print(
                f"kill {kill}: server accepted {accepted}, database recorded {recorded}, "
                f"in flight {in_flight}"
            )
        bot = start_bot(db, base, args.rate, folder / "bot.log")
        deadline = time.monotonic() + span * 3 + 120
        while pending(db) and time.monotonic() < deadline:
            time.sleep(1)
        bot.send_signal(signal.SIGTERM)
        code = bot.wait(30)
        stats = common.fake_stats(base)
    finally:
        fake.terminate()
        fake.wait(5)
    per_chat: dict[str, int] = stats["per_chat"]  # type: ignore[assignment]
    lost = args.digests - len(per_chat)
    duplicates = sum(per_chat.values()) - len(per_chat)
    with sqlite3.connect(db) as conn:
        entries = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT subscriber_id) FROM outbox WHERE kind = 'digest'"
        ).fetchone()
        statuses = dict(conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status"))
    ok = lost == 0 and duplicates <= in_flight_total and entries[0] == entries[1] == args.digests
    print(f"digests: {args.digests}, kills: {args.kills}, final run exit code {code}")
    print(
        f"lost: {lost}; duplicates: {duplicates} (sends in flight at the kills: "
        f"{in_flight_total}); outbox: {entries[0]} entries for {entries[1]} subscribers "
        f"{statuses}"
    )
    print("RESULT:", "PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
