"""Benchmark: three ``digestbot run`` processes on one PostgreSQL fan out 3,000 digests.

Usage: python -m bench.cluster_fanout [--readers 3000] [--rate 30] [--processes 3]
                                      [--alerts 300] [--phases fanout,kill-sender,kill-leader]

A throwaway PostgreSQL server (tests/pg_server.py) holds the store; the fake Bot API
(tests/fakes/telegram_api.py) runs in its own process, enforcing ``--rate`` messages/s for
the one bot token and answering 429 beyond it. Every reader's digest is due at the same
minute. Each phase has a new database and a new fake server:

- ``fanout``: every reader gets exactly one digest; the combined rate of the processes as
  a share of the cap (target ≥ 0.9) and the share of requests drawing a 429 (target
  ≤ 0.5 %). Then a breaking push to ``--alerts`` readers is confirmed through the API of
  a process that does not hold 'sender:telegram': every one of them gets it once,
  whichever process sends.
- ``kill-sender`` / ``kill-leader``: once a third of the digests are out, the process
  holding 'sender:telegram' (or 'leader', read from the leases table) is killed with
  SIGKILL. Prints the readers who never got their digest (target 0), duplicates (target:
  no more than the sends in flight at the kill, accepted by the server but not yet
  recorded in the database), and the seconds from the kill until the server accepted the
  next digest (target ≤ 20).

Exits 1 when a target is missed. Logs of the processes stay in the printed folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import common
from digests.dburl import PostgresUrl
from digests.ingest.importer import import_records
from digests.store import Store
from digests.timeutil import to_db
from tests import pg_server

API_TOKEN = "bench-cluster-api-token"
CHAT_BASE = 800_000
SENDER = "sender:telegram"
LEADER = "leader"
POLL_S = 0.2
TARGET_RATE = 0.9
TARGET_429 = 0.005
TARGET_RESUME_S = 20.0


# --- pure figures (tested in tests/bench/test_cluster_fanout.py) ---------------------------


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


# --- the cluster ----------------------------------------------------------------------------


@dataclass
class Cluster:
    """The fake Bot API and the ``digestbot run`` processes of one phase."""

    url: PostgresUrl
    folder: Path
    rate: float
    fake: subprocess.Popen[str]
    base: str
    bots: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    apis: dict[str, str] = field(default_factory=dict)
    samples: list[tuple[float, int]] = field(default_factory=list)

    async def start(self, count: int, *, leader_apart: bool = False) -> None:
        """``count`` processes. With ``leader_apart`` the first runs without a Telegram
        token and is started alone until it leads, so that another process sends."""
        for number in range(1, count + 1):
            name = f"bench-{number}"
            port = pg_server._free_port()
            settings = {
                "TELEGRAM_BOT_TOKEN": common.TELEGRAM_TOKEN,
                "TELEGRAM_API_BASE_URL": f"{self.base}/bot",
                "TELEGRAM_MAX_RATE": f"{self.rate:g}",
                "DISPATCH_INTERVAL_SECONDS": "2",
                "PROCESS_NAME": name,
                "API_TOKEN": API_TOKEN,
                "API_BIND": f"127.0.0.1:{port}",
            }
            if leader_apart and number == 1:
                del settings["TELEGRAM_BOT_TOKEN"]
            self.bots[name] = common.popen_run(self.url, settings, log=self.folder / f"{name}.log")
            self.apis[name] = f"http://127.0.0.1:{port}"
            if leader_apart and number == 1:
                await wait_for_roles(self.url, [LEADER])

    def poll(self) -> dict[str, Any]:
        stats = common.fake_stats(self.base)
        self.samples.append((time.monotonic(), int(stats["accepted"])))
        return stats

    async def wait_for(self, accepted: int, timeout: float) -> bool:
        """Until the server accepted ``accepted`` messages in all (False after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if int(self.poll()["accepted"]) >= accepted:
                return True
            await asyncio.sleep(POLL_S)
        return False

    async def drained(self, chats: Sequence[str], timeout: float) -> bool:
        """Until every chat got a message and the outbox holds nothing left to send (an
        entry a killed process held is sent again once taken over: wait for that too)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            per_chat = self.poll()["per_chat"]
            if all(per_chat.get(chat) for chat in chats) and not await unsent(self.url):
                return True
            await asyncio.sleep(POLL_S * 5)
        return False

    async def taken_over(self, lost: Sequence[str], victim: str, timeout: float = 120) -> float:
        """When every role in ``lost`` had a holder other than ``victim`` (monotonic time;
        infinity after ``timeout``), polling the server's count meanwhile."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            held = await roles(self.url)
            if all(held.get(role) not in (None, victim) for role in lost):
                return time.monotonic()
            await asyncio.sleep(POLL_S)
        return float("inf")

    def stop(self) -> None:
        for bot in self.bots.values():
            if bot.poll() is None:
                bot.send_signal(signal.SIGTERM)
        for bot in self.bots.values():
            try:
                bot.wait(30)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.wait()
        self.fake.terminate()
        self.fake.wait(5)


async def prepare(url: PostgresUrl, readers: int, alerts: int) -> list[str]:
    """A story in 'news', every reader subscribed to it with the digest due now, the first
    ``alerts`` also to 'alerts'; returns the readers' chat ids."""
    now = datetime.now(UTC)
    store = await Store.open(url)
    try:
        await common.add_categories(store, ["news", "alerts"])
        story = {
            "url": "https://cms.example/story",
            "title": "The one story everybody gets",
            "category": "news",
            "source": "Desk",
            "published_at": (now - timedelta(hours=1)).isoformat(),
        }
        await import_records(store, [(1, story)], now=now, story_window=timedelta(hours=48))
        due = to_db(now - timedelta(minutes=1))
        await common.insert_subscribers(
            store,
            [
                {"id": i, "platform": "telegram", "chat_id": str(CHAT_BASE + i)}
                | {"next_digest_at": due}
                for i in range(1, readers + 1)
            ],
            now=now,
            subscriptions=[(i, "news") for i in range(1, readers + 1)]
            + [(i, "alerts") for i in range(1, alerts + 1)],
        )
    finally:
        await store.close()
    return [str(CHAT_BASE + i) for i in range(1, readers + 1)]


async def roles(url: PostgresUrl) -> dict[str, str]:
    """Role -> the process holding it now, from the leases table."""
    store = await Store.open(url)
    try:
        return {role: held[0] for role, held in (await store.leases(now=datetime.now(UTC))).items()}
    finally:
        await store.close()


async def recorded_sent(url: PostgresUrl) -> int:
    """Parts the database records as accepted by the server."""
    store = await Store.open(url)
    try:
        row = await store._fetchone("SELECT COALESCE(SUM(parts_sent), 0) FROM outbox")
        return int(row[0]) if row else 0
    finally:
        await store.close()


async def unsent(url: PostgresUrl) -> int:
    """Outbox entries still to be sent (queued, being sent, waiting for a retry)."""
    counts = await outbox(url)
    return sum(counts.get(status, 0) for status in ("queued", "sending", "retrying"))


async def outbox(url: PostgresUrl) -> dict[str, int]:
    store = await Store.open(url)
    try:
        return (await store.outbox_counts()).get("telegram", {})
    finally:
        await store.close()


def post_push(api: str) -> dict[str, object]:
    """Confirm a breaking push to 'alerts' through one process's admin API."""
    body = {
        "category": "alerts",
        "url": "https://cms.example/breaking",
        "title": "Floods close the Mekong ferry",
        "confirm": True,
    }
    request = urllib.request.Request(
        f"{api}/api/breaking",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


async def wait_for_roles(
    url: PostgresUrl, wanted: Sequence[str] = (LEADER, SENDER), timeout: float = 60
) -> dict[str, str]:
    """The role holders, once every role in ``wanted`` is held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = await roles(url)
        if all(role in held for role in wanted):
            return held
        await asyncio.sleep(0.5)
    raise SystemExit(f"no process took {', '.join(wanted)} within {timeout:.0f} s")


async def new_cluster(
    server: pg_server.PostgresServer, args: argparse.Namespace, label: str
) -> Cluster:
    url = PostgresUrl(server.url(server.create_database()))
    fake, base = common.start_fake_telegram(args.rate)
    folder = common.scratch(f"cluster-{label}")
    return Cluster(url, folder, args.rate, fake, base)


async def fanout_phase(server: pg_server.PostgresServer, args: argparse.Namespace) -> bool:
    readers, rate, alerts = args.readers, args.rate, args.alerts
    cluster = await new_cluster(server, args, "fanout")
    chats = await prepare(cluster.url, readers, alerts)
    print(f"\n== fan-out: {args.processes} processes, {readers} readers due, cap {rate:g} msg/s")
    try:
        await cluster.start(args.processes)
        done = await cluster.drained(chats, readers / rate * 2 + 120)
        held = await roles(cluster.url)
        stats = cluster.poll()
        lost, once, extra = deliveries(stats["per_chat"], chats)
        combined = sustained_rate(cluster.samples)
        too_many, requests = int(stats["too_many"]), int(stats["requests"])
        share = too_many / max(1, requests)
        print(f"roles:             {held}")
        print(f"readers:           {once} got exactly one digest, {lost} none, {extra} extra")
        print(
            f"combined rate:     {combined:.1f} msg/s = {combined / rate:.2f} × cap (target ≥ 0.9)"
        )
        print(
            f"429 answers:       {too_many} of {requests} requests = {100 * share:.2f} % "
            f"(target ≤ 0.5 %)"
        )
        ok = done and lost == 0 and extra == 0 and combined / rate >= TARGET_RATE
        ok = ok and share <= TARGET_429
        if alerts:
            ok = await push_check(cluster, chats[:alerts], held) and ok
        print(f"outbox:            {await outbox(cluster.url)}")
        return ok
    finally:
        cluster.stop()
        print(f"logs:              {cluster.folder}")


async def push_check(cluster: Cluster, chats: Sequence[str], held: Mapping[str, str]) -> bool:
    """A push confirmed through a process that does not send reaches every alert reader."""
    others = [name for name in cluster.bots if name != held.get(SENDER)]
    through = next((n for n in others if n != held.get(LEADER)), others[0])
    before = dict(cluster.poll()["per_chat"])
    report = post_push(cluster.apis[through])
    target = sum(before.get(chat, 0) for chat in chats) + len(chats)
    deadline = time.monotonic() + len(chats) / cluster.rate * 2 + 60
    after: dict[str, int] = before
    while time.monotonic() < deadline:
        after = dict(cluster.poll()["per_chat"])
        if sum(after.get(chat, 0) for chat in chats) >= target:
            break
        await asyncio.sleep(POLL_S)
    got = [after.get(chat, 0) - before.get(chat, 0) for chat in chats]
    sender = (await roles(cluster.url)).get(SENDER)
    print(
        f"breaking push:     confirmed through {through} (push {report.get('id')}), sent by "
        f"{sender}: {sum(1 for g in got if g == 1)} of {len(chats)} readers got it once, "
        f"{sum(1 for g in got if g == 0)} not at all, {sum(g - 1 for g in got if g > 1)} extra"
    )
    return all(g == 1 for g in got) and sender != through


async def kill_phase(server: pg_server.PostgresServer, args: argparse.Namespace, role: str) -> bool:
    readers, rate = args.readers, args.rate
    label = "kill-sender" if role == SENDER else "kill-leader"
    cluster = await new_cluster(server, args, label)
    chats = await prepare(cluster.url, readers, 0)
    print(f"\n== {label}: kill -9 the process holding {role!r} a third of the way through")
    try:
        # The first process to start takes every role: killing the sender kills the
        # leader too. To kill a leader that does not send, it runs without a token.
        await cluster.start(args.processes, leader_apart=role == LEADER)
        await wait_for_roles(cluster.url)
        if not await cluster.wait_for(readers // 3, readers / rate + 120):
            print("the fan-out did not get a third of the way")
            return False
        held = await roles(cluster.url)
        victim = held[role]
        cluster.bots[victim].send_signal(signal.SIGKILL)
        cluster.bots[victim].wait()
        killed_at = time.monotonic()
        accepted = int(cluster.poll()["accepted"])
        in_flight = accepted - await recorded_sent(cluster.url)
        victim_roles = sorted(r for r, holder in held.items() if holder == victim)
        print(
            f"killed:            {victim} holding {victim_roles}; server had accepted "
            f"{accepted}, database recorded {accepted - in_flight}, in flight {in_flight}"
        )
        took_over = await cluster.taken_over(victim_roles, victim)
        done = await cluster.drained(chats, readers / rate * 2 + 180)
        resumed = resumed_after(cluster.samples, killed_at, accepted)
        after = await roles(cluster.url)
        print(f"roles taken over:  {took_over - killed_at:.1f} s after the kill")
        stats = cluster.poll()
        lost, _once, extra = deliveries(stats["per_chat"], chats)
        print(f"roles after:       {after}")
        shown = "never" if resumed is None else f"{resumed:.1f} s"
        print(f"fan-out resumed:   {shown} after the kill (target ≤ {TARGET_RESUME_S:g} s)")
        print(f"lost:              {lost} (target 0)")
        print(f"duplicates:        {extra} (target ≤ {in_flight}, the sends in flight)")
        print(f"429 answers:       {stats['too_many']} of {stats['requests']} requests")
        print(f"outbox:            {await outbox(cluster.url)}")
        return bool(
            done
            and lost == 0
            and extra <= in_flight
            and resumed is not None
            and resumed <= TARGET_RESUME_S
        )
    finally:
        cluster.stop()
        print(f"logs:              {cluster.folder}")


async def main(args: argparse.Namespace) -> bool:
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(phases) - {"fanout", "kill-sender", "kill-leader"}
    if unknown:
        raise SystemExit(f"unknown phase {sorted(unknown)[0]!r}: fanout, kill-sender, kill-leader")
    results: dict[str, bool] = {}
    with pg_server.running() as server:
        for phase in phases:
            if phase == "fanout":
                results[phase] = await fanout_phase(server, args)
            else:
                role = SENDER if phase == "kill-sender" else LEADER
                results[phase] = await kill_phase(server, args, role)
    print()
    for phase, ok in results.items():
        print(f"RESULT {phase}: {'PASS' if ok else 'FAIL'}")
    return all(results.values())


if __name__ == "__main__":
    options = common.options(
        __doc__,
        readers=3000,
        rate=30.0,
        processes=3,
        alerts=300,
        phases="fanout,kill-sender,kill-leader",
    )
    sys.exit(0 if asyncio.run(main(options)) else 1)
