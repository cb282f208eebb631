"""Set-up shared by the benchmarks: a scratch database (SQLite, or a database on a throwaway
PostgreSQL server), categories and subscribers inserted in bulk, outbox entries, a local
server for a fake, the fake Bot API in its own process, ``digestbot run`` as a child
process, the argument parser and the fan-out report.

Run every benchmark from the project root as a module, ``python -m bench.NAME``: then
``bench``, ``tests.fakes`` and the project import as packages, with no ``sys.path`` edits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from digests.dburl import PostgresUrl
from digests.deliver import DeliveryWorker
from digests.models import Category
from digests.outgoing import OutgoingMessage
from digests.store import OutboxItem, Store
from digests.timeutil import to_db

ROOT = Path(__file__).resolve().parents[1]
# The fixed "now" of the benchmarks that need no wall clock (articles dated before it).
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
# Headline words; numbered variants of them make a large vocabulary of unrelated titles.
WORDS = tuple(
    "market climate model launch vote court rally storm chip bank health study deal energy "
    "rocket film league bridge water city data trade law art".split()
)
# Every token that reaches a fake must be turned away by the real platform.
TELEGRAM_TOKEN = "123456789:bench-token-for-the-local-fake-server-only"
SECRETS = ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "API_TOKEN")


def options(doc: str | None, **defaults: Any) -> argparse.Namespace:
    """The command line of a benchmark described by its docstring's first line: one
    ``--name`` per default, of the default's type (``True``/``False``: a flag; a
    ``(type, default)`` pair where the default is None; a list: its values are the choices,
    the first the default)."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
    for name, default in defaults.items():
        flag = f"--{name.replace('_', '-')}"
        if isinstance(default, bool):
            parser.add_argument(flag, action="store_true")
        elif isinstance(default, list):
            parser.add_argument(flag, choices=default, default=default[0])
        elif isinstance(default, tuple):
            parser.add_argument(flag, type=default[0], default=default[1])
        else:
            parser.add_argument(flag, type=type(default), default=default)
    return parser.parse_args()


def scratch(prefix: str) -> Path:
    """A new empty folder for one run's database and logs (left behind for a look)."""
    return Path(tempfile.mkdtemp(prefix=f"digestbot-{prefix}-"))


# The engines a benchmark with a ``--database`` option runs on; SQLite is the default.
ENGINES = ["sqlite", "postgresql"]


@contextlib.contextmanager
def database(engine: str, prefix: str) -> Iterator[Path | PostgresUrl]:
    """Where one run's store lives: a new SQLite file in a scratch folder, or (engine
    ``postgresql``) a new database on a throwaway PostgreSQL server started for the run
    and stopped after it (``tests/pg_server.py``)."""
    if engine == "sqlite":
        yield scratch(prefix) / "bench.db"
        return
    from tests import pg_server  # the tests' own throwaway server

    with pg_server.running() as server:
        yield PostgresUrl(server.url(server.create_database()))


async def add_categories(store: Store, slugs: Sequence[str]) -> None:
    for position, slug in enumerate(slugs):
        await store.upsert_category(Category(slug, slug.title(), "", position))


async def insert_subscribers(
    store: Store,
    rows: Sequence[Mapping[str, object]],
    *,
    now: datetime,
    subscriptions: Sequence[tuple[int, str]] = (),
) -> None:
    """Subscriber rows (columns by name, the same in every row; ``id``, ``platform`` and
    ``chat_id`` at least) and (subscriber id, category) subscriptions, in one transaction
    on either engine: a hundred thousand take seconds, where ``upsert_subscriber`` one by
    one takes minutes."""
    if not rows:
        return
    stamp = to_db(now)
    columns = [*rows[0], "created_at", "updated_at"]
    marks = ", ".join("?" for _ in columns)
    async with store._transaction() as db:
        if store.dialect.postgres:
            # Explicit ids: the transaction moves the id sequence past them before it
            # commits, so a reader signing up later gets a new id.
            store._sequenced.add("subscribers")
        await db.executemany(
            f"INSERT INTO subscribers ({', '.join(columns)}) VALUES ({marks})",
            [(*row.values(), stamp, stamp) for row in rows],
        )
        await db.executemany(
            "INSERT INTO subscriptions (subscriber_id, category, created_at) VALUES (?, ?, ?)",
            [(subscriber_id, category, stamp) for subscriber_id, category in subscriptions],
        )


async def enqueue_digests(
    store: Store,
    platform: str,
    bodies: Sequence[OutgoingMessage],
    count: int,
    *,
    now: datetime,
    cursor: int | None = None,
    stories: bool = True,
) -> None:
    """One digest entry for each of subscribers 1..count, cycling through ``bodies``; with
    ``stories`` the entry of subscriber i carries story i, as a one-story digest would."""
    items = [
        OutboxItem(
            i,
            "digest",
            "2026-11-27",
            platform,
            [bodies[i % len(bodies)]],
            story_ids=(i,) if stories else (),
            cursor=cursor,
        )
        for i in range(1, count + 1)
    ]
    for start in range(0, count, 2000):
        await store.enqueue(items[start : start + 2000], now=now)


async def drain(worker: DeliveryWorker) -> float:
    """Deliver everything queued, in claims of 2,000; return the seconds it took."""
    started = time.perf_counter()
    while await worker.run_once(limit=2000):
        pass
    return time.perf_counter() - started


def print_fanout(
    what: str,
    elapsed: float,
    rate: float,
    *,
    accepted: int,
    requests: int,
    too_many: int,
    lost: int,
    duplicated: int,
    outbox: object,
) -> None:
    """The fan-out figures: sustained rate against the cap, 429s, lost and duplicated."""
    print(f"digests:           {what}, cap {rate:g} msg/s")
    print(f"elapsed:           {elapsed:.1f} s")
    print(
        f"sustained rate:    {accepted / elapsed:.1f} msg/s = "
        f"{accepted / elapsed / rate:.2f} × cap (target ≥ 0.9)"
    )
    print(
        f"429 answers:       {too_many} of {requests} requests = "
        f"{100 * too_many / max(1, requests):.2f} % (target ≤ 0.5 %)"
    )
    print(f"lost:              {lost}; duplicated: {duplicated}; outbox: {outbox}")


def deliveries(per_chat: Mapping[str, int], chats: Sequence[str]) -> tuple[int, int, int]:
    """(readers who got nothing, readers who got exactly one, extra copies) over ``chats``."""
    counts = [int(per_chat.get(chat, 0)) for chat in chats]
    return (
        sum(1 for c in counts if c == 0),
        sum(1 for c in counts if c == 1),
        sum(c - 1 for c in counts if c > 1),
    )


def sustained_rate(samples: Sequence[tuple[float, int]]) -> float:
    """Messages/s between the first and the last sample that saw the count change: the
    (time, accepted) pairs polled while the fan-out ran, start-up and tail left out."""
    moving = [s for s in samples if s[1] > 0]
    if len(moving) < 2:
        return 0.0
    first = moving[0]
    last = next(s for s in moving if s[1] == moving[-1][1])
    if last[0] <= first[0]:
        return 0.0
    return (last[1] - first[1]) / (last[0] - first[0])


def rate_profile(samples: Sequence[tuple[float, int]], every: float = 10.0) -> list[float]:
    """Messages/s in each ``every`` seconds from the first accepted message on (a stall
    shows as a dip)."""
    moving = [s for s in samples if s[1] > 0]
    if not moving:
        return []
    rates, start = [], moving[0]
    for sample in moving[1:]:
        if sample[0] - start[0] >= every:
            rates.append((sample[1] - start[1]) / (sample[0] - start[0]))
            start = sample
    return rates


def resumed_after(
    samples: Sequence[tuple[float, int]], killed_at: float, at_kill: int
) -> float | None:
    """Seconds from ``killed_at`` until the accepted count first grew past ``at_kill`` (its
    value once the killed process was gone), or None if it never did."""
    for at, count in samples:
        if at > killed_at and count > at_kill:
            return at - killed_at
    return None


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    """Serve ``app`` on a free port of 127.0.0.1; return its runner (``cleanup()`` stops
    it) and base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


def start_fake_telegram(
    rate: float, *, paid_rate: float | None = None
) -> tuple[subprocess.Popen[str], str]:
    """The fake Bot API in a process of its own (it must not share the sender's event
    loop), ``rate`` messages/s overall for messages that are not paid broadcasts and
    ``paid_rate`` (Telegram's 1,000 by default) for all; return the process and its base
    URL."""
    paid = [] if paid_rate is None else ["--paid-rate", str(paid_rate)]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.telegram_api", "--rate", str(rate), *paid],
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


def fake_stats(base: str) -> dict[str, Any]:
    """What the fake Bot API accepted: ``accepted``, ``requests``, ``too_many``, ``per_chat``."""
    with urllib.request.urlopen(f"{base}/_stats", timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def run_env(db: Path | PostgresUrl, **settings: str) -> dict[str, str]:
    """The environment of a ``digestbot run`` on ``db`` (a SQLite file or a PostgreSQL
    database) with these settings; no token of the caller's own environment leaks in, and
    no feeds file is read."""
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    if isinstance(db, PostgresUrl):
        env.update(DATABASE_URL=db.dsn, FEEDS_FILE=str(Path(tempfile.gettempdir()) / "none.toml"))
    else:
        env.update(DATABASE_URL=f"sqlite:///{db}", FEEDS_FILE=str(db.parent / "none.toml"))
    env.update(settings)
    return env


def digestbot_command() -> list[str]:
    """``digestbot run`` of the interpreter running the benchmark."""
    return [str(Path(sys.executable).parent / "digestbot"), "run"]


def popen_run(
    db: Path | PostgresUrl, settings: Mapping[str, str], *, log: Path
) -> subprocess.Popen[bytes]:
    """``digestbot run`` on ``db`` as a child process of a benchmark without an event loop,
    its output appended to ``log`` (in the database's folder, or the log's)."""
    with log.open("ab") as handle:
        return subprocess.Popen(
            digestbot_command(),
            cwd=db.parent if isinstance(db, Path) else log.parent,
            env=run_env(db, **settings),
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


async def start_run(
    db: Path, settings: Mapping[str, str], *, stdout: Any, stderr: Any
) -> asyncio.subprocess.Process:
    """``digestbot run`` on ``db`` as a child process, in the database's folder."""
    return await asyncio.create_subprocess_exec(
        *digestbot_command(),
        cwd=db.parent,
        env=run_env(db, **settings),
        stdout=stdout,
        stderr=stderr,
    )


async def stop_run(bot: asyncio.subprocess.Process, timeout: float = 30) -> None:
    """Stop a ``start_run`` process as an operator would (SIGTERM), killing it if it has
    not finished within ``timeout`` seconds."""
    bot.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(bot.wait(), timeout)
    except TimeoutError:
        bot.kill()
        await bot.wait()
