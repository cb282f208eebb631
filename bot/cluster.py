"""Roles among the processes sharing one database: who leads, who sends for each platform.

Every ``digestbot run`` beats (a heartbeat row with its roles and the sends it has in flight)
and tries to hold two kinds of role lease, each with a time to live of LEADER_LEASE_SECONDS
and renewed every third of it:

- ``leader``: the run-once jobs (the dispatch tick, retention, Telegram long polling, since
  Telegram allows one ``getUpdates`` consumer per token);
- ``sender:<platform>`` for each platform this process has a sender for: a platform's rate
  cap belongs to its bot token, so one process at a time sends for it and the cap holds
  across processes.

A role whose holder stops renewing (it died, or lost the database) is free once its lease
runs out, and the next process to try takes it: fail-over within the lease. A process that
cannot reach the database drops every role at once (it cannot know whether it still holds
them), says so on /healthz, and retries with backoff (0.5 s doubling to 30 s).

The decisions are small pure functions; ``Roles`` does the I/O around them.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.supervise import Liveness, pause_unless_stopped
from digests.delivery_decisions import one_line
from digests.settings import SettingsError
from digests.store import StoreError
from digests.timeutil import Clock

if TYPE_CHECKING:
    from digests.store import Store

log = logging.getLogger("digestbot.run")

LEADER = "leader"
RETRY_BASE_S = 0.5
RETRY_CAP_S = 30.0
DATABASE = "database"  # the part /healthz names while the database cannot be reached


class RoleStore(Protocol):
    """What the roles loop needs of the store (ProcessStore's methods)."""

    async def beat(
        self,
        name: str,
        *,
        roles: Sequence[str],
        in_flight: int,
        started_at: datetime,
        now: datetime,
    ) -> None: ...

    async def hold_lease(
        self, role: str, holder: str, *, now: datetime, ttl: timedelta
    ) -> bool: ...


def sender_role(platform: str) -> str:
    """The role of the one process that sends for ``platform``."""
    return f"sender:{platform}"


def wanted_roles(platforms: Iterable[str]) -> list[str]:
    """The roles a process with senders for ``platforms`` tries to hold: the leader first."""
    return [LEADER, *sorted({sender_role(platform) for platform in platforms})]


def role_changes(before: Collection[str], after: Collection[str]) -> tuple[list[str], list[str]]:
    """(gained, lost) between two sets of held roles, each sorted."""
    return sorted(set(after) - set(before)), sorted(set(before) - set(after))


def retry_delay(failures: int) -> float:
    """Seconds before the next try after ``failures`` failed rounds in a row."""
    return min(RETRY_CAP_S, RETRY_BASE_S * 2 ** min(max(0, failures - 1), 16))


def renew_every(ttl: timedelta) -> float:
    """Seconds between rounds while the database answers: a third of the lease, so two
    rounds can be missed (a slow write) before the lease runs out."""
    return ttl.total_seconds() / 3


def still_held(confirmed_at: datetime | None, now: datetime, ttl: timedelta) -> bool:
    """Whether a lease last confirmed at ``confirmed_at`` still runs at ``now``: a process
    whose loop stalled must not act on a role someone else may have taken since."""
    return confirmed_at is not None and now < confirmed_at + ttl


RoleCallback = Callable[[str], Awaitable[None]]


class Roles:
    """The roles this process holds, renewed by ``run`` (or one ``step`` at a time).

    ``on_gain(role)`` and ``on_loss(role)`` are awaited when a role changes hands; they
    should be quick (start a task for slow work), since leases run out meanwhile.
    """

    def __init__(
        self,
        store: RoleStore,
        name: str,
        *,
        ttl: timedelta,
        clock: Clock,
        platforms: Callable[[], Iterable[str]],
        in_flight: Callable[[], int] = lambda: 0,
        on_gain: RoleCallback | None = None,
        on_loss: RoleCallback | None = None,
        liveness: Liveness | None = None,
        started_at: datetime | None = None,
    ) -> None:
        self.store = store
        self.name = name
        self.ttl = ttl
        self.clock = clock
        self.platforms = platforms
        self.in_flight = in_flight
        self.on_gain = on_gain
        self.on_loss = on_loss
        self.liveness = liveness
        self.started_at = started_at or clock.now()
        self.held: frozenset[str] = frozenset()
        self.confirmed_at: datetime | None = None
        self.failures = 0

    def holds(self, role: str) -> bool:
        """Whether this process holds ``role`` now (and its lease has not run out since)."""
        return role in self.held and still_held(self.confirmed_at, self.clock.now(), self.ttl)

    def sending_platforms(self) -> set[str]:
        """The platforms this process may send for now (DeliveryWorker's ``may_send``)."""
        return {platform for platform in self.platforms() if self.holds(sender_role(platform))}

    async def step(self) -> float:
        """One round: hold or renew the wanted roles, beat, and tell what changed.
        Returns the seconds to wait before the next round."""
        now = self.clock.now()
        try:
            after = frozenset(
                [
                    role
                    for role in wanted_roles(self.platforms())
                    if await self.store.hold_lease(role, self.name, now=now, ttl=self.ttl)
                ]
            )
            await self.store.beat(
                self.name,
                roles=sorted(after),
                in_flight=self.in_flight(),
                started_at=self.started_at,
                now=now,
            )
        except Exception as exc:  # whatever broke, this process cannot prove it holds a role
            self.failures += 1
            delay = retry_delay(self.failures)
            reason = one_line(exc)
            if self.liveness is not None:
                self.liveness.down(DATABASE, f"cannot reach it: {reason}")
            if self.failures == 1:
                log.error("database lost (%s); roles dropped, retrying", reason)
            await self._become(frozenset())
            return delay
        if self.failures:
            log.warning("database back after %d failed rounds", self.failures)
        self.failures = 0
        if self.liveness is not None:
            self.liveness.up(DATABASE)
        self.confirmed_at = now
        await self._become(after)
        return renew_every(self.ttl)

    async def _become(self, after: frozenset[str]) -> None:
        gained, lost = role_changes(self.held, after)
        self.held = after
        for role in lost:
            log.info("%s: role %s lost", self.name, role)
            await self._call(self.on_loss, role)
        for role in gained:
            log.info("%s: role %s gained", self.name, role)
            await self._call(self.on_gain, role)

    async def _call(self, callback: RoleCallback | None, role: str) -> None:
        if callback is None:
            return
        try:
            await callback(role)
        except Exception:  # a failing callback must not stop the renewals
            log.exception("handling a change of role %s failed", role)

    async def run(
        self,
        stop: asyncio.Event,
        *,
        pause: Callable[[asyncio.Event, float], Awaitable[None]] | None = None,
    ) -> None:
        """Rounds until ``stop`` (an asyncio.Event) is set; then drop every role locally
        (the store's ``end_process`` releases the leases)."""
        wait = pause or pause_unless_stopped
        while not stop.is_set():
            delay = await self.step()
            if stop.is_set():
                break
            await wait(stop, delay)
        await self.drop()

    async def drop(self) -> None:
        """Give up every role locally (stopping: the callbacks stop the leader's jobs)."""
        await self._become(frozenset())


async def join(store: Store, name: str, *, now: datetime, ttl: timedelta) -> int:
    """A process's first writes at start: refuse a name that a live process uses (two
    processes under one name would both hold its roles), beat, and put back in the queue
    what an earlier run under this name left 'sending' (it died). Returns that count.

    Raises SettingsError for a name in use."""
    for other in await store.processes():
        if other.name == name and other.heartbeat_at > now - ttl:
            ago = max(0, int((now - other.heartbeat_at).total_seconds()))
            raise SettingsError(
                f"PROCESS_NAME {name} is in use by a running process (its last heartbeat "
                f"was {ago} s ago); give each process a name of its own"
            )
    await store.beat(name, roles=(), in_flight=0, started_at=now, now=now)
    return await store.release_held(name, now=now)


async def leave(store: Store, name: str, *, now: datetime) -> None:
    """A clean stop: the process's row and leases go and what it left 'sending' is queued
    again at once; without the database, its leases run out on their own."""
    try:
        requeued = await store.end_process(name, now=now)
    except (StoreError, sqlite3.Error) as exc:
        log.warning("could not end this process's row (%s); its leases run out", exc)
        return
    if requeued:
        log.info("%d unfinished deliveries queued again", requeued)
