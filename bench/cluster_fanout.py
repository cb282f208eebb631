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
import os
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


@dataclass
class Cluster:
    """The fake Bot API and the ``digestbot run`` processes of one phase."""

    url: PostgresUrl
    store: Store  # the bench's own connection, to look into the shared database
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
                await self.wait_for_roles([LEADER])

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
            if all(per_chat.get(chat) for chat in chats) and not await self.unsent():
                return True
            await asyncio.sleep(POLL_S * 5)
        return False

    async def taken_over(self, lost: Sequence[str], victim: str, timeout: float = 120) -> float:
        """When every role in ``lost`` had a holder other than ``victim`` (monotonic time;
        infinity after ``timeout``), polling the server's count meanwhile."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            held = await self.roles()
            if all(held.get(role) not in (None, victim) for role in lost):
                return time.monotonic()
            await asyncio.sleep(POLL_S)
        return float("inf")

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) each live process has used so far."""
        tick = os.sysconf("SC_CLK_TCK")
        used = {}
        for name, bot in self.bots.items():
            try:
                stat = Path(f"/proc/{bot.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            used[name] = (int(stat[11]) + int(stat[12])) / tick
        return used

    async def roles(self) -> dict[str, str]:
        """Role -> the process holding it now, from the leases table."""
        return {r: held[0] for r, held in (await self.store.leases(now=datetime.now(UTC))).items()}

    async def recorded_sent(self) -> int:
        """Parts the database records as accepted by the server."""
        row = await self.store._fetchone("SELECT COALESCE(SUM(parts_sent), 0) FROM outbox")
        return int(row[0]) if row else 0

    async def outbox(self) -> dict[str, int]:
        return (await self.store.outbox_counts()).get("telegram", {})

    async def unsent(self) -> int:
        """Outbox entries still to be sent (queued, being sent, waiting for a retry)."""
        counts = await self.outbox()
        return sum(counts.get(status, 0) for status in ("queued", "sending", "retrying"))

    async def wait_for_roles(
        self, wanted: Sequence[str] = (LEADER, SENDER), timeout: float = 60
    ) -> dict[str, str]:
        """The role holders, once every role in ``wanted`` is held."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            held = await self.roles()
            if all(role in held for role in wanted):
                return held
            await asyncio.sleep(0.5)
        raise SystemExit(f"no process took {', '.join(wanted)} within {timeout:.0f} s")

    async def stop(self) -> None:
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
        await self.store.close()


async def prepare(store: Store, readers: int, alerts: int) -> list[str]:
    """A story in 'news', every reader subscribed to it with the digest due now, the first
    ``alerts`` also to 'alerts'; returns the readers' chat ids."""
    now = datetime.now(UTC)
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
    chats = [str(CHAT_BASE + i) for i in range(1, readers + 1)]
    await common.insert_subscribers(
        store,
        [
            {"id": i, "platform": "telegram", "chat_id": chat, "next_digest_at": due}
            for i, chat in enumerate(chats, start=1)
        ],
        now=now,
        subscriptions=[(i, "news") for i in range(1, readers + 1)]
        + [(i, "alerts") for i in range(1, alerts + 1)],
    )
    return chats


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


async def new_cluster(
    server: pg_server.PostgresServer, args: argparse.Namespace, label: str
) -> Cluster:
    url = PostgresUrl(server.url(server.create_database()))
    store = await Store.open(url)
    fake, base = common.start_fake_telegram(args.rate)
    return Cluster(url, store, common.scratch(f"cluster-{label}"), args.rate, fake, base)


async def fanout_phase(server: pg_server.PostgresServer, args: argparse.Namespace) -> bool:
    readers, rate, alerts = args.readers, args.rate, args.alerts
    cluster = await new_cluster(server, args, "fanout")
    chats = await prepare(cluster.store, readers, alerts)
    print(f"\n== fan-out: {args.processes} processes, {readers} readers due, cap {rate:g} msg/s")
    try:
        await cluster.start(args.processes)
        done = await cluster.drained(chats, readers / rate * 2 + 120)
        held = await cluster.roles()
        stats = cluster.poll()
        lost, once, extra = common.deliveries(stats["per_chat"], chats)
        combined = common.sustained_rate(cluster.samples)
        too_many, requests = int(stats["too_many"]), int(stats["requests"])
        share = too_many / max(1, requests)
        print(f"roles:             {held}")
        print(f"readers:           {once} got exactly one digest, {lost} none, {extra} extra")
        print(
            f"combined rate:     {combined:.1f} msg/s = {combined / rate:.2f} × cap (target ≥ 0.9)"
        )
        profile = " ".join(f"{r:.0f}" for r in common.rate_profile(cluster.samples))
        print(f"rate per 10 s:     {profile}")
        cpu = ", ".join(
            f"{name} {seconds:.1f} s" for name, seconds in cluster.cpu_seconds().items()
        )
        print(f"CPU used:          {cpu} (the machine's load: {os.getloadavg()[0]:.1f})")
        print(
            f"429 answers:       {too_many} of {requests} requests = {100 * share:.2f} % "
            f"(target ≤ 0.5 %)"
        )
        ok = done and lost == 0 and extra == 0 and combined / rate >= TARGET_RATE
        ok = ok and share <= TARGET_429
        if alerts:
            ok = await push_check(cluster, chats[:alerts], held) and ok
        print(f"outbox:            {await cluster.outbox()}")
        return ok
    finally:
        await cluster.stop()
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
    sender = (await cluster.roles()).get(SENDER)
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
    chats = await prepare(cluster.store, readers, 0)
    print(f"\n== {label}: kill -9 the process holding {role!r} a third of the way through")
    try:
        # The first process to start takes every role: killing the sender kills the
        # leader too. To kill a leader that does not send, it runs without a token.
        await cluster.start(args.processes, leader_apart=role == LEADER)
        await cluster.wait_for_roles()
        if not await cluster.wait_for(readers // 3, readers / rate + 120):
            print("the fan-out did not get a third of the way")
            return False
        held = await cluster.roles()
        victim = held[role]
        cluster.bots[victim].send_signal(signal.SIGKILL)
        cluster.bots[victim].wait()
        killed_at = time.monotonic()
        accepted = int(cluster.poll()["accepted"])
        in_flight = accepted - await cluster.recorded_sent()
        victim_roles = sorted(r for r, holder in held.items() if holder == victim)
        print(
            f"killed:            {victim} holding {victim_roles}; server had accepted "
            f"{accepted}, database recorded {accepted - in_flight}, in flight {in_flight}"
        )
        took_over = await cluster.taken_over(victim_roles, victim)
        done = await cluster.drained(chats, readers / rate * 2 + 180)
        resumed = common.resumed_after(cluster.samples, killed_at, accepted)
        after = await cluster.roles()
        print(f"roles taken over:  {took_over - killed_at:.1f} s after the kill")
        stats = cluster.poll()
        lost, _once, extra = common.deliveries(stats["per_chat"], chats)
        print(f"roles after:       {after}")
        shown = "never" if resumed is None else f"{resumed:.1f} s"
        print(f"fan-out resumed:   {shown} after the kill (target ≤ {TARGET_RESUME_S:g} s)")
        print(f"lost:              {lost} (target 0)")
        print(f"duplicates:        {extra} (target ≤ {in_flight}, the sends in flight)")
        print(f"429 answers:       {stats['too_many']} of {stats['requests']} requests")
        print(f"outbox:            {await cluster.outbox()}")
        return bool(
            done
            and lost == 0
            and extra <= in_flight
            and resumed is not None
            and resumed <= TARGET_RESUME_S
        )
    finally:
        await cluster.stop()
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
