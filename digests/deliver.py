"""The delivery worker: drain the outbox through one Sender per platform.

Pacing is planned ahead with the Pacer; a part is recorded only once the platform accepted
it, so a restart resumes at the first unsent part; the cursor moves only when a whole
digest went out. Failures are decided by ``delivery_decisions.decide_failure`` (pure).
Several processes may send from one outbox: a worker claims under its process's name with
a lease it renews while sending, only for the platforms ``may_send`` allows (one sender per
bot token); an entry whose holder died is taken over by another's claim. The worker never
ends on an error: an entry failing unexpectedly is logged and dead-lettered, an unreadable
outbox retried with backoff, a forgotten chat's entries dropped with one log line.
"""

# long module: one worker loop and what it does with each outcome, read together

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection, Coroutine, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from digests.delivery_decisions import (
    RATE_LIMIT_RETRIES,
    Decision,
    Step,
    backoff,
    claim_backoff,
    decide_failure,
    one_line,
)
from digests.delivery_errors import ChatMigrated, DeliveryError, DestinationGone, RateLimited
from digests.delivery_writes import AcceptedWriter
from digests.models import OutboxEntry
from digests.outgoing import Destination, OutgoingMessage, Sender
from digests.pacing import Pacer
from digests.render.plain import PLAIN_TEXT_LIMIT, as_plain, without_media
from digests.settings import DeliveryLimits
from digests.store import Accepted, Store
from digests.timeutil import Clock

log = logging.getLogger(__name__)

# An entry's messages, one per part (None: the stored body is missing).
Bodies = tuple[OutgoingMessage | None, ...]

# The decisions live in ``digests.delivery_decisions``; these names stay importable from here.
__all__ = ["RATE_LIMIT_RETRIES", "Decision", "DeliveryWorker", "Step", "backoff", "decide_failure"]


class DeliveryWorker:
    """Claims ready outbox entries and delivers them, paced, with retries."""

    # Real seconds between looks at the clock while waiting to renew leases: the clock
    # may be moved by hand (a test's), or jump (NTP), so the wait is never one long sleep.
    lease_poll = 1.0

    def __init__(
        self,
        store: Store,
        senders: Mapping[str, Sender],
        pacer: Pacer,
        clock: Clock,
        limits: DeliveryLimits,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        notify_admin: Callable[[str], Awaitable[None]] | None = None,
        on_deactivated: Callable[[int, str], Awaitable[None]] | None = None,
        rng: random.Random | None = None,
        holder: str = "",
        lease: timedelta = timedelta(seconds=60),
        dead_after: timedelta = timedelta(seconds=15),
        may_send: Callable[[], Collection[str]] | None = None,
    ) -> None:
        self._store = store
        self._senders = senders  # not copied: an adapter may join after start
        self._pacer = pacer
        self._clock = clock
        self._limits = limits
        self._monotonic = monotonic
        self._sleep = sleep
        self._notify_admin = notify_admin
        self._on_deactivated = on_deactivated
        self._rng = rng or random.Random()
        self._holder = holder
        self._lease = lease
        self._dead_after = dead_after
        self._may_send = may_send
        # Ids of the entries taken and not yet settled: their leases are renewed, and a
        # claim that hands one back (its lease ran out meanwhile) does not send it twice.
        self._held: set[int] = set()
        self._payloads: dict[int, OutgoingMessage] = {}
        # Subscribers found forgotten while their entries were being sent: said once each,
        # and their other taken entries are checked before anything more goes to them.
        self._vanished: set[int] = set()
        self._stopping = False
        self._writes = AcceptedWriter(store)
        # DELIVERY_CONCURRENCY requests under way at once per platform: the entries
        # claimed wait for their pace outside it, so a fast pace has enough of them.
        self._requests: dict[str, asyncio.Semaphore] = {}
        # Told (by ``run``) when an entry's every part was accepted and only its record is
        # left to write: it then no longer counts against its platform's claim size.
        self._all_accepted: Callable[[str], None] = _nothing
        self.wakeup = asyncio.Event()

    def claim_size_for(self, platform: str) -> int:
        """A platform's entries under way at once: about half a second of sends at its
        pace, so an urgent entry enqueued meanwhile waits at most that long (a platform
        without a pace: DELIVERY_CONCURRENCY). Each platform has its own: Telegram's
        paid 1,000/s must not be held to Discord's 50/s."""
        rate = self._limits.max_rate(platform)
        return max(4, self._limits.concurrency if rate is None else int(rate / 2))

    @property
    def claim_size(self) -> int:
        """Entries under way at once, every platform's together."""
        return sum(self.claim_size_for(platform) for platform in self._senders)

    def in_flight(self) -> int:
        """Entries taken and not yet settled (sent, retried, given up or released)."""
        return len(self._held)

    def stop(self) -> None:
        """Finish the sends under way, start no new ones; unsent entries go back to the
        queue, for this process's next start or another process."""
        self._stopping = True
        self.wakeup.set()

    async def _take(self, limit: int, only: str | None = None) -> list[tuple[OutboxEntry, Bodies]]:
        """Claim up to ``limit`` ready entries (of platform ``only``, or of any), each with
        its message bodies (None for a body that is missing: that entry is dead-lettered
        when it is delivered)."""
        platforms = [p for p in self._senders if self._may(p) and only in (None, p)]
        if not platforms:
            return []
        claimed = await self._store.claim(
            now=self._clock.now(),
            limit=limit,
            platforms=platforms,
            holder=self._holder,
            lease=self._lease,
            dead_after=self._dead_after,
        )
        # One of ours handed back (its lease ran out while it was sent) is still ours,
        # with its lease renewed by this claim: it is not sent a second time.
        entries = [e for e in claimed if e.id not in self._held]
        if not entries:
            return []
        self._held.update(e.id for e in entries)
        if len(self._payloads) > 10_000:
            self._payloads.clear()
        if len(self._vanished) > 10_000:
            self._vanished.clear()
        missing = {p for e in entries for p in e.payload_ids} - self._payloads.keys()
        try:
            self._payloads.update(await self._store.payload_bodies(sorted(missing)))
        except Exception:
            # Taken but not sent: back to the queue (best effort) before the error is told.
            for entry in entries:
                self._held.discard(entry.id)
                with contextlib.suppress(Exception):
                    await self._store.release(entry.id, now=self._clock.now())
            raise
        return [(e, tuple(self._payloads.get(p) for p in e.payload_ids)) for e in entries]

    async def run_once(self, limit: int = 500) -> int:
        """Claim up to ``limit`` ready entries and deliver them; return how many."""
        taken = await self._take(limit)
        semaphore = asyncio.Semaphore(self._limits.concurrency)

        async def one(entry: OutboxEntry, bodies: Bodies) -> None:
            async with semaphore:
                await self.deliver(entry, bodies)

        await asyncio.gather(*(one(entry, bodies) for entry, bodies in taken))
        self._pacer.prune(self._monotonic())
        return len(taken)

    async def run(self, stop: asyncio.Event, idle_wait: float = 1.0) -> None:
        """Deliver until ``stop`` is set; an empty outbox is checked every ``idle_wait`` s
        or as soon as ``wakeup`` is set (after a dispatch).

        At most ``claim_size_for(platform)`` entries of each platform are under way, and
        new ones are taken as slots free up: a send that hangs (a long 429 wait, a chat
        that does not answer) holds its own slot, not the others. An outbox that cannot
        be read is logged and tried again, waiting twice as long each time up to a
        minute."""
        turn = _Turn(self, idle_wait)
        self._all_accepted = turn.all_accepted
        keeper = asyncio.create_task(self._keep_leases())
        try:
            while not stop.is_set() and not self._stopping:
                if await turn.claim():
                    continue  # there may be more ready: take them as slots free up
                await turn.wait(stop)
            await turn.finish()
        finally:
            await turn.cancel()
            self._all_accepted = _nothing
            await self._writes.drain()
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper

    async def _keep_leases(self) -> None:
        """Renew the leases of the entries being sent every third of the lease, by the
        worker's clock, until ``run`` ends (sends still finishing after a stop included)."""
        period = self._lease / 3
        renewed_at = self._clock.now()
        while True:
            left = (renewed_at + period - self._clock.now()).total_seconds()
            if left > 0:
                await asyncio.sleep(min(left, self.lease_poll))
                continue
            renewed_at = self._clock.now()
            await self.renew_leases()

    async def renew_leases(self) -> int:
        """Extend the leases of the entries being sent; how many the store still had as
        ours. A store that fails is logged and tried again at the next turn."""
        if not self._held:
            return 0
        held = sorted(self._held)
        try:
            renewed = await self._store.renew_leases(
                self._holder, held, now=self._clock.now(), lease=self._lease
            )
        except Exception as error:  # the sends go on; the next turn tries again
            log.warning(
                "could not renew the leases of %d outbox entries being sent (%s)",
                len(held),
                one_line(error),
            )
            return 0
        if renewed < len(held):
            # Settled between the look and the renewal, or taken over after a lease ran out.
            log.debug("renewed %d of %d outbox leases", renewed, len(held))
        return renewed

    async def deliver(self, entry: OutboxEntry, bodies: Bodies | None = None) -> None:
        """Send an entry's remaining parts; every outcome is written to the store. Nothing
        escapes: an unexpected error is logged and the entry dead-lettered. ``bodies`` are
        its messages, as taken (by default, from what the worker has loaded)."""
        if bodies is None:
            bodies = tuple(self._payloads.get(p) for p in entry.payload_ids)
        try:
            await self._deliver(entry, bodies)
        except Exception as error:  # one entry must never end the worker
            await self._dead_letter_unexpected(entry, error)
        finally:
            self._held.discard(entry.id)

    async def _dead_letter_unexpected(self, entry: OutboxEntry, error: Exception) -> None:
        reason = f"failed unexpectedly: {one_line(error)}"
        log.error(
            "outbox entry %s (%s, %s) %s; dead-lettered",
            entry.id,
            entry.kind,
            entry.platform,
            reason,
        )
        log.debug("traceback of outbox entry %s", entry.id, exc_info=error)
        try:
            await self._store.give_up(entry.id, now=self._clock.now(), error=reason)
        except Exception as again:  # it stays 'sending' and is taken again once its lease ends
            log.error(
                "outbox entry %s could not be dead-lettered either (%s)", entry.id, one_line(again)
            )

    def _drop_vanished(self, entry: OutboxEntry) -> None:
        """The entry's subscriber was forgotten while it was being sent: its entries are
        gone with it. Said once per subscriber, however many of its entries were taken."""
        if entry.subscriber_id in self._vanished:
            return
        self._vanished.add(entry.subscriber_id)
        log.info(
            "subscriber %s (%s %s) was forgotten during delivery; its entries are dropped",
            entry.subscriber_id,
            entry.platform,
            entry.chat_id,
        )

    async def _gone(self, entry: OutboxEntry) -> bool:
        """Whether this entry vanished with its subscriber, asked of the store only for a
        subscriber already found forgotten (an id that is reused is checked, not assumed)."""
        return entry.subscriber_id in self._vanished and not await self._store.entry_exists(
            entry.id
        )

    def _may(self, platform: str) -> bool:
        """Whether this process may send for ``platform`` now (it may lose the role)."""
        return self._may_send is None or platform in self._may_send()

    async def _let_go(self, entry: OutboxEntry) -> bool:
        """Put a taken entry back in the queue before its next part, if the worker is
        stopping or may no longer send for its platform (another process took the role:
        two senders would break the bot token's cap). True when it was let go."""
        if not self._stopping and self._may(entry.platform):
            return False
        try:
            await self._store.release(entry.id, now=self._clock.now())
        except Exception as error:  # not sent, so never dead-lettered for this
            log.warning(
                "outbox entry %s could not be put back in the queue (%s); it is taken "
                "again once its lease runs out",
                entry.id,
                one_line(error),
            )
        return True

    async def _wait_turn(self, entry: OutboxEntry, chat_id: str) -> bool:
        """Wait for the chat's turn; False (the entry released) if the worker is stopping
        or may no longer send for the entry's platform.

        The chat's own pace first, then the platform's: booked at once, a chat's next part
        a second away would hold the global budget, and every other chat, until then.
        (Both in one look at the buckets when the chat is free, as it mostly is.)"""
        wait, booked = self._pacer.book(entry.platform, chat_id, self._monotonic(), broadcast=True)
        if not booked:
            await self._sleep(wait)
            if await self._let_go(entry):
                return False
            wait = self._reserve(entry.platform, chat_id, self._monotonic())
        if wait > 0:
            await self._sleep(wait)
            if await self._let_go(entry):
                return False
        return True

    def _sending(self, platform: str) -> asyncio.Semaphore:
        semaphore = self._requests.get(platform)
        if semaphore is None:
            semaphore = self._requests[platform] = asyncio.Semaphore(self._limits.concurrency)
        return semaphore

    # An outbox send is a broadcast: Telegram's paid ones are not held to the free cap.
    def _reserve(self, platform: str, chat_id: str, now: float) -> float:
        return self._pacer.reserve(platform, chat_id, now, broadcast=True)

    async def _deliver(self, entry: OutboxEntry, bodies: Bodies) -> None:
        sender = self._senders[entry.platform]
        destination = Destination(
            entry.platform,
            entry.chat_id,
            entry.thread_id,
            ping_role=entry.breaking_role if entry.kind == "breaking" else None,
            # Published after each accepted part, by the sender, best effort: a refusal
            # to publish never comes back here as a failed send.
            publish=entry.announcement,
        )
        part = entry.parts_sent
        plain, bare = entry.plain_fallback, False
        rate_limited = 0
        migrated = False
        while part < len(entry.payload_ids):
            if await self._let_go(entry):
                return
            message = bodies[part]
            if message is None:
                raise LookupError(
                    f"message body {entry.payload_ids[part]} is missing or unreadable"
                )
            if plain:  # no preview or pictures either
                message = as_plain(message, PLAIN_TEXT_LIMIT.get(entry.platform, 4000))
            elif bare:
                message = without_media(message) or message
            if not await self._wait_turn(entry, destination.chat_id):
                return
            if await self._gone(entry):
                return
            try:
                async with self._sending(entry.platform):
                    if (held := self._pacer.release(entry.platform, self._monotonic())) > 0:
                        await self._sleep(held)  # sends bunched by a stall: spread again
                    message_id = await sender.send(destination, message)
            except Exception as error:  # every failure is decided on, none escapes
                if isinstance(error, RateLimited):
                    rate_limited += 1
                decision = await self._judge(
                    entry, destination.chat_id, error, rate_limited=rate_limited, plain=plain
                )
                if decision.step is Step.RETRY_NOW:
                    continue
                if decision.step is Step.MIGRATE and migrated:
                    decision = Decision(Step.DEAD, f"chat migrated twice in a row: {error}")
                if decision.step is Step.MIGRATE:
                    assert isinstance(error, ChatMigrated)
                    migrated = True
                    await self._store.migrate_chat(
                        entry.subscriber_id, error.new_chat_id, now=self._clock.now()
                    )
                    destination = replace(destination, chat_id=error.new_chat_id)
                    continue
                if decision.step is Step.PLAIN:
                    # First without its preview or pictures (the markup may be fine).
                    bare, plain = True, bare or without_media(message) is None
                    log.warning(
                        "%s rejected a message rendered from %s (%s); resending %s",
                        entry.platform,
                        message.template or "?",
                        error,
                        "as plain text" if plain else "without its preview or pictures",
                    )
                    continue
                await self._settle(entry, decision, plain)
                return
            # Recorded in a batch with the other sends' (the last part completes the entry
            # in the same transaction); the next part goes only once this one is written.
            accepted = Accepted(entry, part, str(message_id), self._clock.now())
            if accepted.last:
                self._all_accepted(entry.platform)
            if not await self._writes.record(accepted):
                self._drop_vanished(entry)
                return
            if accepted.last:
                return
            part += 1
        if not await self._store.complete(entry, now=self._clock.now()):
            self._drop_vanished(entry)

    async def _judge(
        self, entry: OutboxEntry, chat_id: str, error: Exception, *, rate_limited: int, plain: bool
    ) -> Decision:
        """Decide on a failed send (call it while handling ``error``): a refusal counts against
        the subscriber, a rate limit pauses the chat, the unexpected is logged in full."""
        failures = 0
        if isinstance(error, DestinationGone):
            failures = await self._store.note_delivery_failure(entry.subscriber_id)
        if not isinstance(error, DeliveryError):
            log.exception("sender for %s failed unexpectedly", entry.platform)
        decision = decide_failure(
            error,
            attempts=entry.attempts,
            failures=failures,
            rate_limited=rate_limited,
            plain_fallback=plain,
            now=self._clock.now(),
            limits=self._limits,
            jitter=self._rng.random(),
        )
        if isinstance(error, RateLimited):
            self._pacer.penalise(
                entry.platform, chat_id, decision.pause, self._monotonic(), broadcast=True
            )
            await self._count_limited(entry.platform)
        return decision

    async def _count_limited(self, platform: str) -> None:
        """Count a 429 for the console's chart; a failure to count never stops a send."""
        try:
            await self._store.count_limited(platform, now=self._clock.now())
        except Exception as error:
            log.warning("could not count a 429 from %s: %s", platform, one_line(error))

    async def _settle(self, entry: OutboxEntry, decision: Decision, plain: bool) -> None:
        now = self._clock.now()
        if decision.step is Step.RETRY_LATER:
            assert decision.at is not None
            if not await self._store.retry_later(
                entry.id,
                now=now,
                at=decision.at,
                error=decision.reason,
                count_attempt=decision.count_attempt,
                plain_fallback=plain,
            ):
                self._drop_vanished(entry)
        elif decision.step is Step.DEAD:
            if not await self._store.give_up(entry.id, now=now, error=decision.reason):
                self._drop_vanished(entry)
                return
            log.warning(
                "dead-lettered %s %s for subscriber %s: %s",
                entry.kind,
                entry.period,
                entry.subscriber_id,
                decision.reason,
            )
        elif decision.step is Step.DEACTIVATE:
            reason = f"delivery refused {self._limits.forbidden_limit} times: {decision.reason}"
            if not await self._store.deactivate(entry.subscriber_id, reason=reason, now=now):
                return  # another entry of this subscriber already stopped it and told
            log.warning(
                "subscriber %s (%s %s) deactivated: %s",
                entry.subscriber_id,
                entry.platform,
                entry.chat_id,
                reason,
            )
            if self._notify_admin is not None:
                try:
                    await self._notify_admin(
                        f"digestbot: {entry.platform} chat {entry.chat_id} deactivated: {reason}"
                    )
                except Exception:  # the admin chat being down must not stop delivery
                    log.exception("could not notify the admin chat")
            if self._on_deactivated is not None:
                try:
                    await self._on_deactivated(entry.subscriber_id, reason)
                except Exception:  # telling the chat's owner is best effort
                    log.exception("could not tell subscriber %s's owner", entry.subscriber_id)


def _nothing(platform: str) -> None:
    """No ``run`` to tell."""


class _Turn:
    """The state of ``DeliveryWorker.run``: the sends under way per platform, the
    platforms found with nothing ready, the claim failures in a row."""

    def __init__(self, worker: DeliveryWorker, idle_wait: float) -> None:
        self.worker = worker
        self.idle_wait = idle_wait
        self.in_flight: dict[str, set[asyncio.Task[None]]] = {}
        # Of those, the ones whose entry the platform accepted whole, waiting only for its
        # record to be written (in a batch, tens to hundreds of milliseconds on a busy
        # machine): counted as under way, a slow write held back the next claim until the
        # pacer had nothing left to send (bench/fanout.py --paid).
        self.settling: dict[str, set[asyncio.Task[None]]] = {}
        # Platforms whose last claim found fewer ready than it asked for: not asked again
        # before a wakeup or ``idle_wait``, however many of their sends finish meanwhile.
        self.drained: set[str] = set()
        self.looked_at = worker._monotonic()
        self.pruned_at = self.looked_at
        # Claim failures in a row per platform, and when its next claim may be tried:
        # one platform's outbox that cannot be read does not hold the others' claims.
        self.failures: dict[str, int] = {}
        self.retry_at: dict[str, float] = {}
        # Set when a platform has room for half a claim (or nothing under way).
        self.room = asyncio.Event()

    def _wants(self, platform: str) -> int:
        """How many entries to claim for ``platform`` now: none until half of its slots
        are free (fewer transactions; an urgent entry still waits at most half a claim).
        An entry whose every part was accepted frees its slot; its task still counts
        against twice the claim size, so records written slower than the sends hold the
        claims back instead of piling up."""
        size = self.worker.claim_size_for(platform)
        tasks = len(self.in_flight.get(platform, ()))
        busy = tasks - len(self.settling.get(platform, ()))
        room = min(size - busy, 2 * size - tasks)
        return room if room > 0 and (not busy or room >= max(1, size // 2)) else 0

    def all_accepted(self, platform: str) -> None:
        """The current task's entry was accepted whole: its slot is free for a claim."""
        task = asyncio.current_task()
        if task is None or task not in self.in_flight.get(platform, ()):
            return  # ``deliver`` called outside ``run``
        self.settling.setdefault(platform, set()).add(task)
        if platform not in self.drained and self._wants(platform) > 0:
            self.room.set()

    async def claim(self) -> bool:
        """Claim for every platform with room; True if some claim was filled."""
        worker = self.worker
        now = worker._monotonic()
        if worker.wakeup.is_set() or now - self.looked_at >= self.idle_wait:
            self.drained.clear()
            self.looked_at = now
        worker.wakeup.clear()  # before the claims: a wakeup during them is not lost
        self.room.clear()
        full = False
        for platform in [p for p in worker._senders if self._may_claim(p, now)]:
            wants = self._wants(platform)
            if wants <= 0:
                continue
            try:
                taken = await worker._take(wants, platform)
                self.failures.pop(platform, None)
            except Exception as error:  # the worker must outlive a failing store
                self._failed(platform, error)
                continue
            for entry, bodies in taken:
                self._start(platform, worker.deliver(entry, bodies))
            if len(taken) == wants:
                full = True
            else:
                self.drained.add(platform)
        if worker._monotonic() - self.pruned_at > 10:
            self.pruned_at = worker._monotonic()
            worker._pacer.prune(self.pruned_at)
        return full

    def _may_claim(self, platform: str, now: float) -> bool:
        """Not drained, and not waiting out the back-off of its failed claims."""
        return platform not in self.drained and self.retry_at.get(platform, now) <= now

    def _failed(self, platform: str, error: Exception) -> None:
        failures = self.failures[platform] = self.failures.get(platform, 0) + 1
        backoff = claim_backoff(failures, self.idle_wait)
        self.retry_at[platform] = self.worker._monotonic() + backoff
        log.error(
            "delivery worker could not take %s entries from the outbox (%s), "
            "trying again in %.0f s",
            platform,
            one_line(error),
            backoff,
        )
        log.debug("the outbox could not be read", exc_info=error)

    def _start(self, platform: str, delivery: Coroutine[Any, Any, None]) -> None:
        tasks = self.in_flight.setdefault(platform, set())
        settling = self.settling.setdefault(platform, set())
        task = asyncio.create_task(delivery)
        tasks.add(task)

        def done(task: asyncio.Task[None]) -> None:
            tasks.discard(task)
            settling.discard(task)
            if platform not in self.drained and self._wants(platform) > 0:
                self.room.set()

        task.add_done_callback(done)

    async def wait(self, stop: asyncio.Event) -> None:
        """Until a stop, a wakeup, room for a claim, or ``idle_wait`` (longer after failed
        claims)."""
        waiters = [
            asyncio.ensure_future(stop.wait()),
            asyncio.ensure_future(self.worker.wakeup.wait()),
            asyncio.ensure_future(self.room.wait()),
        ]
        await asyncio.wait(waiters, timeout=self._timeout(), return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()

    def _timeout(self) -> float:
        """``idle_wait``, or while every platform's claims fail, until the first may try again
        (a back-off doubling up to a minute)."""
        platforms = set(self.worker._senders)
        if not platforms or not platforms <= self.failures.keys():
            return self.idle_wait
        now = self.worker._monotonic()
        return max(self.idle_wait, min(self.retry_at[p] for p in platforms) - now)

    def tasks(self) -> list[asyncio.Task[None]]:
        return [task for tasks in self.in_flight.values() for task in tasks]

    async def finish(self) -> None:
        """Let the sends under way end (a stop)."""
        if tasks := self.tasks():
            await asyncio.gather(*tasks)

    async def cancel(self) -> None:
        """Cancelled ourselves: the sends under way go with us, and are over when we are."""
        tasks = self.tasks()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
