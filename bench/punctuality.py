# long module: one scenario, its day on simulated time and its report, read together
"""Benchmark: do digests arrive by their readers' minute when crowds choose the same one?

Usage: python -m bench.punctuality [--readers 20000] [--spread 5000] [--lead 30]
           [--zones Europe/London,Europe/Lisbon,Europe/Berlin] [--planning both|on|off]
           [--rate 30] [--seed 13]

``--readers`` Telegram readers take their digest at 07:00 local, shared out over the
``--zones`` (London and Lisbon share 07:00 UTC in December: one crowd of two thirds of
them at 07:00 UTC and one of a third at 06:00 UTC); ``--spread`` more take it at other
minutes from 06:30 to 07:29 local, at random. All read three categories; stories are
imported while the day runs, around each crowd's T − lead and T, never more than the
digest limits hold. Each run (planning off: ``dispatch_due(..., planning=False)``; on:
DIGEST_MAX_LEAD_MINUTES=``--lead``; by default both) prints p50, p95, p99 and the maximum
of arrival − T (T = the reader's chosen instant; arrival = when the fake Bot API accepted
the digest's last message), the share within [T − lead, T + 60 s], how many came later
than T + 60 s, the same per crowd with when it was queued and its pace, what the fake
accepted (its busiest second and minute against the cap, 429s), and whether any digest
missed a story that reached the store more than the lead before T.

Real: a SQLite store in a temp folder, ``digests.dispatch.dispatch_due`` called every
DISPATCH_INTERVAL as bot/run.py's tick does (first tick 13 s past a minute; a tick still
running when the next is due delays it), the DeliveryWorker's ``run`` with the Pacer and
the TelegramSender (HTTP to the fake's base URL), the store's importer for the stories,
and the fake Bot API (tests/fakes/telegram_api.py: 30 msg/s overall and its per-chat
limits) on 127.0.0.1, all in one process and one event loop.

Simulated: the time. The loop (bench/virtual_time.py) skips its idle waits: when nothing
is ready and no SQLite call or HTTP request is outstanding, its clock jumps to the next
timer (a pacing sleep, the worker's idle wait, the next tick, the next story). Otherwise
it runs at the real pace: the CPU, the disk and the GIL count in full, and so does a
loaded machine's jitter (it shows as 429s). The dispatcher's and the worker's clocks, the
Pacer's monotonic time and the fake's flood limits all read that one clock. The fake
answers at once, with no network latency, but its own CPU time counts (it shares the loop).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.common import (
    TELEGRAM_TOKEN,
    WORDS,
    add_categories,
    insert_subscribers,
    options,
    scratch,
    serve,
)
from bench.virtual_time import Reading, VirtualClock, VirtualTimeLoop, sqlite_calls_counted
from bot.telegram.sender import TelegramSender
from digests.deliver import DeliveryWorker
from digests.dispatch import dispatch_due
from digests.ingest.importer import import_records
from digests.outgoing import Destination, OutgoingMessage
from digests.pacing import Pacer, telegram_policy
from digests.render import RenderCache, Renderer
from digests.schedule import Schedule, local_instant, next_due
from digests.settings import Settings, load_settings
from digests.store import Store
from digests.timeutil import from_db, to_db
from tests.fakes.telegram_api import FakeTelegram, Limits

DAY = date(2026, 12, 3)
CATEGORIES = ("world", "business", "science")
CHAT_BASE = 1_000_000
LATE = 60.0  # seconds after T that still count as on time


@dataclass(frozen=True)
class Reader:
    id: int
    zone: str
    digest_time: str
    due: datetime  # T: the instant the reader chose, in UTC
    crowd: bool  # one of the 07:00 readers

    @property
    def chat(self) -> str:
        return str(CHAT_BASE + self.id)


@dataclass(frozen=True)
class Scenario:
    readers: tuple[Reader, ...]
    start: datetime
    lead: timedelta
    stories: tuple[datetime, ...]  # when each story is imported


def make_readers(crowd: int, spread: int, zones: list[str], seed: int) -> tuple[Reader, ...]:
    """``crowd`` readers at 07:00 local, ``spread`` at other minutes of 06:30–07:29."""
    rng = random.Random(seed)
    minutes = [m for m in range(-30, 30) if m != 0]
    readers = []
    for i in range(crowd + spread):
        zone = zones[i % len(zones)]
        at = 7 * 60 + (0 if i < crowd else rng.choice(minutes))
        digest_time = f"{at // 60:02d}:{at % 60:02d}"
        due = local_instant(DAY, digest_time, ZoneInfo(zone))
        readers.append(Reader(i + 1, zone, digest_time, due, i < crowd))
    return tuple(readers)


def crowds(readers: tuple[Reader, ...]) -> dict[datetime, list[Reader]]:
    """The 07:00 readers by their UTC instant (zones sharing an offset are one crowd)."""
    result: dict[datetime, list[Reader]] = defaultdict(list)
    for reader in readers:
        if reader.crowd:
            result[reader.due].append(reader)
    return dict(sorted(result.items()))


def story_times(instants: list[datetime], start: datetime, lead: timedelta) -> tuple[datetime, ...]:
    """One story before anything is due, then around each crowd's T: 2 min either side of
    T − lead (the first must be in its digests, the second may come too late for an early
    start), 10 min before T and 2 min after. At most 13, so with three categories no
    digest reaches the limits (5 per category, 15 in all) and none is left out for room."""
    times = [start + timedelta(minutes=1)]
    for due in instants[:3]:
        near = [due - lead - timedelta(minutes=2), due - lead + timedelta(minutes=2)]
        times += [
            *near[: 2 if lead else 1],
            due - timedelta(minutes=10),
            due + timedelta(minutes=2),
        ]
    return tuple(sorted(t for t in times if t >= start + timedelta(minutes=1)))


def scenario(args: object) -> Scenario:
    zones = [z.strip() for z in str(args.zones).split(",") if z.strip()]  # type: ignore[attr-defined]
    readers = make_readers(args.readers, args.spread, zones, args.seed)  # type: ignore[attr-defined]
    lead = timedelta(minutes=args.lead)  # type: ignore[attr-defined]
    first = min(r.due for r in readers)
    # The first tick 13 s past a minute: a process's ticks keep its start's phase.
    start = (first - lead - timedelta(minutes=5)).replace(second=13)
    for reader in readers[:: max(1, len(readers) // 50)]:
        assert next_due(Schedule(reader.digest_time, reader.zone), start) == reader.due
    return Scenario(readers, start, lead, story_times(list(crowds(readers)), start, lead))


class _Stamped(list):  # type: ignore[type-arg]
    """The fake's list of accepted messages, each stamped with the instant its flood
    limits took (the fake reads the clock once per message, then accepts it with no
    await in between: the clock's last reading is that instant)."""

    def __init__(self, reading: Reading) -> None:
        super().__init__()
        self._reading = reading

    def append(self, message: dict[str, object]) -> None:
        message["accepted_at"] = self._reading.last
        super().append(message)


class _Tracked:
    """The real TelegramSender, its requests marked as outstanding work of the loop (the
    fake answers within the same loop, but no timer may fire while a request is out)."""

    platform = "telegram"

    def __init__(self, sender: TelegramSender, loop: VirtualTimeLoop) -> None:
        self._sender = sender
        self._loop = loop

    async def send(self, destination: Destination, message: OutgoingMessage) -> str:
        with self._loop.working():
            return await self._sender.send(destination, message)


async def prepare(store: Store, s: Scenario) -> None:
    await add_categories(store, CATEGORIES)
    rows = [
        {
            "id": r.id,
            "platform": "telegram",
            "chat_id": r.chat,
            "timezone": r.zone,
            "digest_time": r.digest_time,
            "cursor_article_id": 0,  # every story imported from now on is new to them
            "next_digest_at": to_db(r.due),
        }
        for r in s.readers
    ]
    subscriptions = [(r.id, c) for r in s.readers for c in CATEGORIES]
    await insert_subscribers(store, rows, now=s.start, subscriptions=subscriptions)


async def feed(store: Store, clock: VirtualClock, times: tuple[datetime, ...]) -> list[datetime]:
    """Import one story at each instant; return when each was stored (after its commit)."""
    rng, stored = random.Random(7), []
    vocabulary = [f"{w}{n}" for w in WORDS for n in range(40)]
    for n, at in enumerate(times):
        await clock.sleep_until(at)
        record = {
            "url": f"https://news.example/bench/{n}",
            "title": f"{story_tag(n)} " + " ".join(rng.sample(vocabulary, 6)),
            "summary": "What happened, in two short sentences. Why it matters to you.",
            "category": CATEGORIES[n % len(CATEGORIES)],
            "source": "Bench Wire",
            "published_at": clock.now().isoformat(),
        }
        await import_records(
            store, [(n + 1, record)], now=clock.now(), story_window=timedelta(hours=48)
        )
        stored.append(clock.now())
    return stored


def story_tag(n: int) -> str:
    return f"Zq{n:02d}x"


@dataclass
class Outcome:
    arrivals: dict[str, float]  # chat -> seconds of the loop clock of its last message
    texts: dict[str, str]
    stored: list[datetime]
    queued: dict[int, datetime]  # reader -> when the dispatcher enqueued the digest
    accepted: list[float]  # loop seconds of every accepted message
    requests: int
    too_many: int
    clock: VirtualClock
    real_s: float
    skipped_s: float
    jumps: int
    ticks: list[tuple[datetime, int, int]] = field(default_factory=list)  # now, enqueued, early
    paces: list[float] = field(default_factory=list)  # the Pacer's Telegram rate at each tick


async def ticks(
    store: Store,
    settings: Settings,
    clock: VirtualClock,
    worker: DeliveryWorker,
    *,
    planning: bool,
    done: object,
    until: datetime,
    paces: tuple[Pacer, list[float]],
) -> list[tuple[datetime, int, int]]:
    """Dispatch every DISPATCH_INTERVAL (a tick still running when the next is due
    delays it, as APScheduler's coalescing does) until ``done()`` or ``until``; note the
    Pacer's rate at each tick (a 429 slows it, a minute without one speeds it up again)."""
    interval, renderer, seen = settings.delivery.dispatch_interval, Renderer(), []
    at = clock.now()
    while not done() and clock.now() < until:  # type: ignore[operator]
        now = clock.now()
        paces[1].append(paces[0].rate("telegram") or 0.0)
        report = await dispatch_due(
            store, RenderCache(renderer), settings, now=now, planning=planning
        )
        if report.enqueued:
            worker.wakeup.set()
            seen.append((now, report.enqueued, report.early))
        while at <= clock.now():
            at += interval
        await clock.sleep_until(at)
    return seen


async def simulate(s: Scenario, planning: bool, rate: float) -> Outcome:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualTimeLoop)
    clock, reading = VirtualClock(loop, s.start), Reading(loop)
    settings = load_settings(
        {
            "DIGEST_MAX_LEAD_MINUTES": str(int(s.lead.total_seconds() // 60)),
            "TELEGRAM_MAX_RATE": str(rate),
        }
    )
    real = time.perf_counter()
    store = await Store.open(scratch("punctuality") / "p.db")
    await prepare(store, s)
    fake = FakeTelegram(Limits(global_per_second=rate), messages=_Stamped(reading), clock=reading)
    runner, base = await serve(fake.app())
    sender = TelegramSender.build(TELEGRAM_TOKEN, f"{base}/bot", pool_size=64)
    limits, pacer, paces = settings.delivery, Pacer({"telegram": telegram_policy(rate)}), []
    worker = DeliveryWorker(
        store,
        {"telegram": _Tracked(sender, loop)},
        pacer,
        clock,
        limits,
        monotonic=loop.time,
    )
    stop = asyncio.Event()
    delivering = asyncio.create_task(worker.run(stop))
    feeding = asyncio.create_task(feed(store, clock, s.stories))
    wanted = {r.chat for r in s.readers}
    arrived = lambda: len(fake.per_chat) >= len(wanted)  # noqa: E731
    until = max(r.due for r in s.readers) + timedelta(hours=1)
    try:
        seen = await ticks(
            store,
            settings,
            clock,
            worker,
            planning=planning,
            done=arrived,
            until=until,
            paces=(pacer, paces),
        )
        stored = await feeding
        rows = await store._fetchall(
            "SELECT subscriber_id, created_at FROM outbox WHERE kind = 'digest'"
        )
    finally:
        stop.set()
        feeding.cancel()
        await delivering
        await sender.close()
        # The bot was never initialize()d, so its shutdown() (close()) leaves the
        # request's session open; it is closed here.
        await sender.bot.request.shutdown()
        await runner.cleanup()
        # Closed whatever happened: aiosqlite's thread would keep the process alive.
        await store.close()
    arrivals: dict[str, float] = {}
    texts: dict[str, str] = defaultdict(str)
    for message in fake.messages:
        chat = str(message["chat_id"])
        arrivals[chat] = max(arrivals.get(chat, 0.0), float(message["accepted_at"]))
        texts[chat] += str(message["text"])
    return Outcome(
        arrivals,
        dict(texts),
        stored,
        {int(r[0]): from_db(r[1]) for r in rows},  # type: ignore[misc]
        sorted(float(m["accepted_at"]) for m in fake.messages),
        fake.requests,
        fake.too_many,
        clock,
        time.perf_counter() - real,
        loop.skipped,
        loop.jumps,
        seen,
        paces,
    )


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    return values[max(0, math.ceil(q / 100 * len(values)) - 1)] if values else math.nan


def busiest(times: list[float], window: float) -> int:
    """The most messages accepted within any ``window`` seconds (sorted ``times``)."""
    best, first = 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - window:
            first += 1
        best = max(best, last - first + 1)
    return best


def late_by(readers: list[Reader], o: Outcome) -> list[float]:
    """Arrival − T in seconds of each reader who got a digest, sorted."""
    return sorted(
        (o.clock.at(o.arrivals[r.chat]) - r.due).total_seconds()
        for r in readers
        if r.chat in o.arrivals
    )


def spread_line(late: list[float]) -> str:
    return "  ".join(f"p{q} {percentile(late, q):+8.1f} s" for q in (50, 95, 99)) + (
        f"  max {late[-1]:+8.1f} s" if late else ""
    )


def missed_stories(s: Scenario, o: Outcome) -> tuple[int, int]:
    """(digests missing a story stored more than the lead before T, digests leaving out
    one stored within [T − lead, T)): every reader reads every category, and no digest
    reaches the limits, so each story stored before assembly belongs in it."""
    missing = fresh_out = 0
    for r in s.readers:
        text = o.texts.get(r.chat)
        if text is None:
            continue
        absent = [at for n, at in enumerate(o.stored) if story_tag(n) not in text and at < r.due]
        missing += any(at < r.due - s.lead for at in absent)
        fresh_out += any(at >= r.due - s.lead for at in absent)
    return missing, fresh_out


def print_crowd(name: str, readers: list[Reader], o: Outcome) -> None:
    late = late_by(readers, o)
    due = readers[0].due
    queued = sorted((o.queued[r.id] - r.due).total_seconds() for r in readers if r.id in o.queued)
    got = sorted(o.arrivals[r.chat] for r in readers if r.chat in o.arrivals)
    pace = (len(got) - 1) / (got[-1] - got[0]) if len(got) > 1 and got[-1] > got[0] else math.nan
    zones = ", ".join(sorted({r.zone for r in readers}))
    print(f"  crowd {due:%H:%M} UTC ({zones}): {len(readers)} readers, {len(late)} delivered")
    if not late:
        return
    print(
        f"    queued T{queued[0]:+.0f} s … T{queued[-1]:+.0f} s; arrivals T{late[0]:+.1f} s … "
        f"T{late[-1]:+.1f} s at {pace:.1f} msg/s; "
        f"later than T + 60 s: {sum(x > LATE for x in late)}"
    )
    print(f"    arrival − T: {spread_line(late)}")


def report(s: Scenario, o: Outcome, planning: bool, rate: float) -> None:
    lead_min = int(s.lead.total_seconds() // 60)
    how = f"on, DIGEST_MAX_LEAD_MINUTES={lead_min}" if planning else "off, planning=False"
    print(f"== planning {how} ==")
    late = late_by(list(s.readers), o)
    within = sum(-s.lead.total_seconds() <= x <= LATE for x in late)
    print(f"digests:        {len(late)} of {len(s.readers)} readers got theirs")
    print(f"arrival − T:    {spread_line(late)}")
    print(
        f"within [T − {lead_min} min, T + 60 s]: {100 * within / max(1, len(late)):.2f} % "
        f"(goal ≥ 99 %); later than T + 60 s: {sum(x > LATE for x in late)}; "
        f"earlier than T − lead: {sum(x < -s.lead.total_seconds() for x in late)}"
    )
    for due, members in crowds(s.readers).items():
        print_crowd(f"{due:%H:%M}", members, o)
    spread = [r for r in s.readers if not r.crowd]
    if spread:
        tail = late_by(spread, o)
        print(
            f"  spread: {len(spread)} readers, later than T + 60 s: {sum(x > LATE for x in tail)}"
        )
        print(f"    arrival − T: {spread_line(tail)}")
    print(
        f"fake Bot API:   {len(o.accepted)} accepted of {o.requests} requests, {o.too_many} × 429; "
        f"busiest second {busiest(o.accepted, 1.0)} msg, busiest minute "
        f"{busiest(o.accepted, 60.0) / 60:.1f} msg/s (cap {rate:g}/s)"
    )
    paces = [p for p in o.paces if p]
    print(
        f"pacer:          {max(paces, default=math.nan):.1f} msg/s at its fastest, "
        f"{min(paces, default=math.nan):.1f} at its slowest (read at each tick; a 429 slows it)"
    )
    missing, fresh_out = missed_stories(s, o)
    print(
        f"stories:        {len(o.stored)} imported; digests missing one stored before T − lead: "
        f"{missing}; leaving out one stored in [T − lead, T): {fresh_out}"
    )
    early = sum(e for _, _, e in o.ticks)
    simulated = timedelta(seconds=round((o.clock.now() - s.start).total_seconds()))
    print(
        f"dispatch:       {len(o.ticks)} ticks enqueued digests, {early} of them early; "
        f"simulated {simulated} in {o.real_s:.0f} s real "
        f"({o.skipped_s:.0f} s of idle waits skipped in {o.jumps} jumps)"
    )


def main() -> None:
    args = options(
        __doc__,
        readers=20_000,
        spread=5_000,
        zones="Europe/London,Europe/Lisbon,Europe/Berlin",
        lead=30,
        planning=["both", "off", "on"],
        rate=30.0,
        seed=13,
    )
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    s = scenario(args)
    print(
        f"scenario:       {args.readers} readers at 07:00 local in {args.zones}, {args.spread} "
        f"at other minutes of 06:30–07:29 local; lead {args.lead} min; cap {args.rate:g} msg/s; "
        f"day starts {s.start:%H:%M:%S} UTC"
    )
    modes = {"both": (False, True), "off": (False,), "on": (True,)}[args.planning]
    for planning in modes:
        with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner, sqlite_calls_counted():
            outcome = runner.run(simulate(s, planning, args.rate))
        report(s, outcome, planning, args.rate)


if __name__ == "__main__":
    main()
