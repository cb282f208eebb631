"""Benchmark: fan out digests to distinct Telegram chats at the platform's limit.

Usage: python -m bench.fanout [--digests N] [--rate 30] [--paid] [--no-profile] [--top 12]
                              [--loop asyncio|uvloop] [--concurrency N]

A fake Bot API server (tests/fakes/telegram_api.py) runs in its own process on 127.0.0.1,
enforcing Telegram's caps (``--rate`` messages/s overall without ``--paid``; with it, 30/s
for messages without ``allow_paid_broadcast`` and 1,000/s with it) and about 1/s per chat,
and answers 429 with retry_after beyond them. The real delivery worker (its ``run`` loop,
as ``digestbot run`` drives it) sends the digests through python-telegram-bot, paced by
the token-bucket Pacer configured with the same cap; ``--paid`` sends them as paid
broadcasts (TELEGRAM_PAID_BROADCAST), which lets ``--rate`` go up to 1,000. Without it a
rate above 30 is refused with the settings error's line (exit status 2).

Default size: 10,000 digests, 20,000 with ``--paid``. Prints the sustained rate against
the cap (target ≥ 0.9×), the share of requests that drew a 429 (target ≤ 0.5 %), CPU
seconds per 1,000 messages of the bot's process and of the fake server's, lost and
duplicated digests (target 0), and where the bot's time goes: a cProfile summary, top
functions by own and by cumulative time, of a second pass of up to 5,000 digests to other
chats, after the figures (the profiler costs about twice the bot's own CPU, so the measured
pass runs without it; ``--no-profile`` leaves the second pass out).
``--loop uvloop`` runs the bot's side on uvloop's event loop (if it is installed) instead
of asyncio's own, to compare the two. ``--concurrency`` sets DELIVERY_CONCURRENCY (the sends
under way at once, and the sender's connections) instead of its default: more is not
faster (at 1,000/s on a quiet machine: 32 reached 0.95 x the cap, 64 0.86-0.92, 200 0.86).
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import os
import pstats
import resource
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.common import (
    TELEGRAM_TOKEN,
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
from digests.delivery_settings import TELEGRAM_FREE_CAP, TELEGRAM_PAID_CAP
from digests.outgoing import Destination, OutgoingMessage
from digests.pacing import Pacer, telegram_policy
from digests.settings import DeliveryLimits, SettingsError
from digests.store import Store
from digests.timeutil import SystemClock

UNFINISHED = ("queued", "sending", "retrying")
# Digests of the profiled second pass (the figures come from the first, unprofiled).
PROFILED = 5_000


async def prepare(store: Store, count: int, first_chat: int = 100_001) -> None:
    now = datetime.now(UTC)
    rows = [
        {"id": i, "platform": "telegram", "chat_id": str(first_chat - 1 + i)}
        for i in range(1, count + 1)
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


class Timed:
    """The sender, noting when the platform last accepted a message."""

    platform = "telegram"

    def __init__(self, sender: TelegramSender) -> None:
        self.sender = sender
        self.last = 0.0

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        sent = await self.sender.send(destination, message)
        self.last = time.perf_counter()
        return sent


async def deliver_all(store: Store, worker: DeliveryWorker, timed: Timed) -> float:
    """Run the worker until nothing is left to send; return the seconds from the start to
    the last message accepted (the outbox is looked at twice a second, which costs a
    little and does not round the figure)."""
    stop = asyncio.Event()
    started = time.perf_counter()
    running = asyncio.create_task(worker.run(stop, idle_wait=0.5))
    while True:
        await asyncio.sleep(0.5)
        counts = (await store.outbox_counts()).get("telegram", {})
        if not any(counts.get(status) for status in UNFINISHED):
            break
    stop.set()
    await running
    return timed.last - started


def cpu_seconds(pid: int | None = None) -> float:
    """User and system CPU seconds of this process (its threads included) or of ``pid``."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def profile_summary(profile: cProfile.Profile, top: int) -> str:
    """The ``top`` functions by own time, then by cumulative time."""
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.strip_dirs()
    for order, title in (("tottime", "own"), ("cumulative", "cumulative")):
        out.write(f"--- bot side, top {top} functions by {title} CPU time (cProfile)\n")
        stats.sort_stats(order).print_stats(top)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    # pstats repeats a header per listing: keep the table lines and the titles.
    return "\n".join(
        line for line in lines if "function calls" not in line and "Ordered by" not in line
    )


async def fan_out(
    count: int,
    limits: DeliveryLimits,
    base: str,
    first_chat: int,
    profile: cProfile.Profile | None = None,
) -> tuple[float, int, dict[str, int]]:
    """Deliver ``count`` digests to new chats from ``first_chat`` on through the real
    worker and sender, under ``profile`` if given; the seconds to the last accepted message,
    the worker's claim size and the outbox's counts at the end."""
    store = await Store.open(scratch("fanout") / "f.db")
    await prepare(store, count, first_chat)
    sender = TelegramSender.build(
        TELEGRAM_TOKEN,
        f"{base}/bot",
        pool_size=max(8, limits.concurrency),
        paid_broadcast=limits.telegram_paid_broadcast,
    )
    timed = Timed(sender)
    worker = DeliveryWorker(
        store,
        {"telegram": timed},
        Pacer({"telegram": telegram_policy(limits.telegram_max_rate)}),
        SystemClock(),
        limits,
    )
    if profile is not None:
        profile.enable()
    elapsed = await deliver_all(store, worker, timed)
    if profile is not None:
        profile.disable()
    await sender.close()
    counts = (await store.outbox_counts()).get("telegram", {})
    await store.close()
    return elapsed, worker.claim_size, counts


async def run(count: int, limits: DeliveryLimits, base: str, fake_pid: int, top: int) -> None:
    rate = limits.telegram_max_rate
    cpu, fake_cpu = cpu_seconds(), cpu_seconds(fake_pid)
    elapsed, claim_size, counts = await fan_out(count, limits, base, 100_001)
    cpu, fake_cpu = cpu_seconds() - cpu, cpu_seconds(fake_pid) - fake_cpu
    stats = fake_stats(base)
    per_chat: dict[str, int] = stats["per_chat"]
    accepted = int(stats["accepted"])
    paid = "paid broadcasts" if limits.telegram_paid_broadcast else "free"
    print_fanout(
        f"{count} to distinct private chats, {paid}, claim size {claim_size}, "
        f"{limits.concurrency} under way at once",
        elapsed,
        rate,
        accepted=accepted,
        requests=int(stats["requests"]),
        too_many=int(stats["too_many"]),
        lost=count - len(per_chat),
        duplicated=sum(per_chat.values()) - len(per_chat),
        outbox=counts,
    )
    per_thousand = 1000 / max(1, accepted)
    print(
        f"CPU per 1,000 msg: bot {cpu * per_thousand:.2f} s, fake server "
        f"{fake_cpu * per_thousand:.2f} s (bot {cpu / elapsed:.2f} and fake "
        f"{fake_cpu / elapsed:.2f} of a core)"
    )
    print(f"paid broadcasts:   {stats['paid']} of {accepted} accepted")
    if top:
        # A second pass, to new chats, for the profile alone: cProfile's hooks cost about
        # twice the bot's own CPU, and a profiled run measures the profiler, not the rate.
        # CPU time of the event loop's thread, not wall time: on a shared machine a
        # wall-clock profile charges the waits for a core to whatever was running.
        sample = min(count, PROFILED)
        profile = cProfile.Profile(time.thread_time)
        await fan_out(sample, limits, base, 100_001 + count, profile)
        print(f"--- where the bot's time goes: a second pass of {sample} digests, profiled")
        print(profile_summary(profile, top))


def event_loop(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop asked for (None: asyncio's own); a missing uvloop ends the run."""
    if name == "asyncio":
        return None
    try:
        import uvloop  # optional: only this comparison needs it
    except ImportError:
        print("bench.fanout: error: --loop uvloop needs uvloop installed", file=sys.stderr)
        raise SystemExit(2) from None
    print("event loop:        uvloop")
    return uvloop.new_event_loop  # type: ignore[no-any-return]


def main() -> None:
    args = options(
        __doc__,
        digests=(int, None),
        rate=30.0,
        paid=False,
        no_profile=False,
        top=12,
        loop=["asyncio", "uvloop"],
        concurrency=(int, None),
    )
    try:
        if args.concurrency is not None and not 1 <= args.concurrency <= 10_000:
            raise SettingsError(f"--concurrency must be 1 to 10000, got {args.concurrency}")
        chosen = {} if args.concurrency is None else {"concurrency": args.concurrency}
        limits = DeliveryLimits(
            telegram_max_rate=args.rate, telegram_paid_broadcast=args.paid, **chosen
        )
    except SettingsError as exc:
        print(f"bench.fanout: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    count = args.digests or (20_000 if args.paid else 10_000)
    # With paid broadcasts the fake plays Telegram's own caps; without, the rate asked.
    free, paid = (TELEGRAM_FREE_CAP, TELEGRAM_PAID_CAP) if args.paid else (args.rate, args.rate)
    loop_factory = event_loop(args.loop)
    process, base = start_fake_telegram(free, paid_rate=paid)
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(run(count, limits, base, process.pid, 0 if args.no_profile else args.top))
    finally:
        process.terminate()
        process.wait(5)


if __name__ == "__main__":
    main()
