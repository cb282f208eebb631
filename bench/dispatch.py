"""Benchmark: dispatch the digests due at one minute (plan, render, enqueue into the outbox).

Usage: python -m bench.dispatch [--subscribers N] [--due N] [--database sqlite|postgresql]
                                [--profile]

N subscribers (3–5 of 20 categories each, Zipf-weighted, 20 % Vietnamese, six time zones)
and 2,000 articles live in a real database (SQLite, or with --database postgresql a
throwaway PostgreSQL server). ``--due`` of them (default min(N, 100,000), spread over the
ids) chose the local minute of the benchmark's "now"; the others chose other minutes of the
day, so they are not due. One call of the dispatcher reads the due ones, plans and renders
each digest (identical ones share a rendering) and writes the outbox. Target ≥ 5,000
digests/s and peak RSS ≤ 500 MB with 1,000,000 subscribers.

The database is filled by a child process, so the peak RSS printed is the dispatching
process's own: its imports, its open store and the dispatch (the RSS before the dispatch is
printed beside it). Times per phase come from wrappers around the dispatcher's steps (they
add a little overhead of their own); ``--profile`` prints cProfile's top functions as well.
"""

from __future__ import annotations

import asyncio
import cProfile
import importlib
import inspect
import multiprocessing
import pstats
import random
import resource
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.assembly import ZONES, load_articles
from bench.common import ENGINES, NOW, database, insert_subscribers, options
from digests.dburl import PostgresUrl
from digests.dispatch import dispatch_due
from digests.models import Category
from digests.render import RenderCache, Renderer
from digests.schedule import Schedule, next_due
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import to_db

INSERT_CHUNK = 50_000
CATEGORIES = [Category(f"cat-{i:02d}", f"Category {i}", "", i) for i in range(20)]


def cpu_seconds() -> float:
    """CPU time of this process (all its threads): less at the mercy of a loaded machine
    than wall time."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def subscriber_rows(
    count: int, due: int, rng: random.Random
) -> Iterator[tuple[list[dict[str, object]], list[tuple[int, str]]]]:
    """Subscriber rows and subscriptions in chunks; ``due`` of them are due at NOW."""
    slugs = [c.slug for c in CATEGORIES]
    weights = [1 / (rank + 1) for rank in range(len(slugs))]
    due_ids = set(rng.sample(range(1, count + 1), due))
    local_now = {zone: NOW.astimezone(ZoneInfo(zone)).strftime("%H:%M") for zone in ZONES}
    later: dict[tuple[str, str], str | None] = {}  # (zone, HH:MM) -> next due, as stored
    stamp = to_db(NOW)
    rows: list[dict[str, object]] = []
    subscriptions: list[tuple[int, str]] = []
    for i in range(1, count + 1):
        zone = rng.choice(ZONES)
        if i in due_ids:
            digest_time, next_at = local_now[zone], stamp
        else:
            minute = rng.randrange(1440)
            digest_time = f"{minute // 60:02d}:{minute % 60:02d}"
            if digest_time == local_now[zone]:
                digest_time = "00:00" if digest_time != "00:00" else "00:01"
            if (zone, digest_time) not in later:
                later[zone, digest_time] = to_db(next_due(Schedule(digest_time, zone), NOW))
            next_at = later[zone, digest_time]
        chosen: set[str] = set()
        want = rng.randint(3, 5)
        while len(chosen) < want:
            chosen.add(rng.choices(slugs, weights)[0])
        rows.append(
            {
                "id": i,
                "platform": "telegram",
                "chat_id": str(i),
                "language": "vi" if rng.random() < 0.2 else "en",
                "timezone": zone,
                "digest_time": digest_time,
                "next_digest_at": next_at,
            }
        )
        subscriptions.extend((i, c) for c in sorted(chosen))
        if len(rows) >= INSERT_CHUNK:
            yield rows, subscriptions
            rows, subscriptions = [], []
    if rows:
        yield rows, subscriptions


async def fill(count: int, due: int, db: Path | PostgresUrl) -> None:
    rng = random.Random(11)
    await load_articles(2000, CATEGORIES, rng, db)
    store = await Store.open(db)
    for rows, subscriptions in subscriber_rows(count, due, rng):
        await insert_subscribers(store, rows, now=NOW, subscriptions=subscriptions)
    await store.close()


def fill_in_child(count: int, due: int, db: Path | PostgresUrl) -> float:
    """Fill the database in a child process (its memory is not the dispatcher's); seconds."""
    started = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(target=_fill_main, args=(count, due, db))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"setting up the database failed (exit code {child.exitcode})")
    return time.perf_counter() - started


def _fill_main(count: int, due: int, db: Path | PostgresUrl) -> None:
    asyncio.run(fill(count, due, db))


class Phases:
    """Wall time spent inside the wrapped functions, by phase (nested calls of one phase
    are counted once)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.depth: dict[str, int] = defaultdict(int)
        self._undo: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, name: str, phase: str) -> None:
        original = getattr(owner, name, None)
        if original is None:
            return
        self._undo.append((owner, name, original))
        if inspect.isasyncgenfunction(original):
            setattr(owner, name, self._generator(original, phase))
        elif asyncio.iscoroutinefunction(original):
            setattr(owner, name, self._async(original, phase))
        else:
            setattr(owner, name, self._sync(original, phase))

    def _sync(self, function: Callable[..., Any], phase: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.depth[phase] += 1
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.depth[phase] -= 1
                if not self.depth[phase]:
                    self.seconds[phase] += time.perf_counter() - started

        return timed

    def _async(self, function: Callable[..., Any], phase: str) -> Callable[..., Any]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            self.depth[phase] += 1
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                self.depth[phase] -= 1
                if not self.depth[phase]:
                    self.seconds[phase] += time.perf_counter() - started

        return timed

    def _generator(self, function: Callable[..., Any], phase: str) -> Callable[..., Any]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            items = function(*args, **kwargs)
            while True:
                started = time.perf_counter()
                try:
                    item = await items.__anext__()
                except StopAsyncIteration:
                    return
                finally:
                    self.seconds[phase] += time.perf_counter() - started
                yield item

        return timed

    def undo(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)


# Phase, then the functions whose time it is (those missing in this version are skipped).
PHASES = {
    "read due subscribers": [
        ("digests.store", "Store.due_subscribers"),
        ("digests.store", "Store.due_batches"),
        ("digests.store", "Store.due_categories"),
    ],
    "already-sent stories": [("digests.dispatch", "already_had")],
    "pool": [("digests.dispatch", "load_pool")],
    "sharing order (sort)": [("digests.dispatch", "sharing_sorted")],
    "planning": [("digests.dispatch", "plan_digest")],
    "rendering": [("digests.render", "RenderCache.render")],
    "next due (schedule)": [
        ("digests.dispatch", "next_due"),
        ("digests.dispatch", "period_of"),
        ("digests.dispatch", "Tick.next_due"),
        ("digests.dispatch", "Tick.period_of"),
    ],
    # Written while the next batch is made (digests.dispatch._Writer): overlaps the above.
    "enqueue total": [("digests.store", "Store.enqueue")],
    "  encoding (JSON, hash)": [
        ("digests.store._enqueue", "message_to_json"),
        ("digests.store._enqueue", "encode_bodies"),
    ],
    "  rescheduling SQL": [("digests.store._enqueue", "reschedule_subscribers")],
}


def install(phases: Phases) -> None:
    for phase, targets in PHASES.items():
        for module, name in targets:
            owner: object = importlib.import_module(module)
            *path, attr = name.split(".")
            for part in path:
                owner = getattr(owner, part, None)
            if owner is not None:
                phases.wrap(owner, attr, phase.strip())


async def dispatch(db: Path | PostgresUrl, profile: bool) -> None:
    store = await Store.open(db)
    before = rss_mb()
    phases = Phases()
    install(phases)
    profiler = cProfile.Profile() if profile else None
    cpu = cpu_seconds()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    report = await dispatch_due(store, RenderCache(Renderer()), Settings(), now=NOW)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    phases.undo()
    peak = rss_mb()
    payloads = (await store._fetchone("SELECT COUNT(*) FROM payloads"))[0]
    again = time.perf_counter()
    second = await dispatch_due(
        store, RenderCache(Renderer()), Settings(), now=NOW + timedelta(seconds=30)
    )
    second_s = time.perf_counter() - again
    await store.close()
    print(f"due subscribers:   {report.due} (early: {report.early})")
    print(f"enqueued:          {report.enqueued} digests, {payloads} distinct payloads stored")
    print(
        f"dispatch:          {elapsed:.2f} s → {report.enqueued / elapsed:,.0f} digests/s "
        f"(target ≥ 5,000)"
    )
    print(
        f"CPU time:          {cpu:.2f} s of the dispatching process (SQLite's work included,"
        f" PostgreSQL's server not) → {report.enqueued / cpu:,.0f} digests per CPU-second"
    )
    print(f"second dispatch:   {second.enqueued} enqueued in {second_s:.2f} s (nothing due)")
    print(
        f"peak RSS:          {peak:.0f} MB, dispatching process (set-up in a child process;"
        f" {before:.0f} MB before the dispatch; target ≤ 500)"
    )
    print(
        "phases (wall time inside each step; the rest is the dispatcher's own loop; the"
        " enqueue runs beside making the next batch):"
    )
    for phase in PHASES:
        seconds = phases.seconds.get(phase.strip())
        shown = f"{seconds:6.2f} s" if seconds is not None else "     n/a"
        print(f"  {phase:<26} {shown}")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> None:
    args = options(__doc__, subscribers=100_000, due=(int, None), database=ENGINES, profile=False)
    due = min(args.subscribers, args.due if args.due is not None else 100_000)
    with database(args.database, "dispatch") as target:
        setup_s = fill_in_child(args.subscribers, due, target)
        print(f"database:          {'PostgreSQL' if args.database == 'postgresql' else 'SQLite'}")
        print(f"subscribers:       {args.subscribers:,} ({due:,} due; set up in {setup_s:.0f} s)")
        asyncio.run(dispatch(target, args.profile))


if __name__ == "__main__":
    main()
