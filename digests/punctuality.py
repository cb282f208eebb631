"""Digests on time for crowds: when to start dispatching the readers due at one minute.

Readers pick round times. A platform takes a bounded number of messages a second, so the
last of 20,000 readers due at 07:00 would get the digest at 07:11 if the crowd were
started at 07:00. The planner starts such a crowd early, never more than
DIGEST_MAX_LEAD_MINUTES before its minute, so that its last reader has it by the end of
that minute. An early digest keeps its reader's minute as its due time; the outbox sends
ready entries by priority, then due time, so breaking pushes still jump ahead and a crowd
goes out in order of due time.

``plan`` is pure (seconds as floats, no I/O): per platform, the due minutes ahead with
their readers not dispatched yet and their messages already queued, and the pace.

- Backward pass, latest due minute first: the sender must begin minute k by
  ``s_k = min(T_k + 60 s, need_{k+1}) - load_k / pace`` for k and every later minute to
  arrive in time; its readers are dispatched from ``max(s_k - margin_k, T_k - lead)``,
  never later than ``T_k`` (the margin: one dispatch tick, since a start falls between
  ticks, the assembly of its digests, one chat's spacing between a digest's parts, and a
  little slack). A minute that cannot begin as early as needed (a crowd too large for the
  lead) asks the minutes before it to be done by its own start, not by an instant it
  cannot reach: they are not dragged further ahead for nothing.
- Starts are then made non-decreasing in T (a suffix minimum), so "every minute whose
  start has come" is "every minute up to one instant", which is what the store's
  ``due_subscribers(early=...)`` selects.
- Forward pass, for ``digestbot stats``: the sender busy with what is queued, then each
  minute's load in due order from its start; the expected latest arrival of each minute.

Readers whose minute has room (start == T) are dispatched at their minute as before. With
the default 30 s tick a minute has room for about 28 s of sending; with ticks of 58 s or
more, even one reader dispatched at the first tick after their minute could miss it, so
every minute then starts up to one tick early.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from digests.delivery_settings import DeliveryLimits
from digests.settings import Settings
from digests.store import Store

MINUTE_S = 60.0
# The pacer keeps 0.95 of the configured rate; a 429's slow-down, retries, per-chat turns
# and a loaded machine take more: the punctuality bench on a loaded 2-core machine sent at
# 0.73-0.77 of the cap, and planning on 0.85 left 5 % of a crowd past its minute. Planning
# on 0.75 costs a crowd a few minutes more lead; missing the minute costs its last readers
# the promise.
PACE_SHARE = 0.75
# Seconds to assemble one digest (pool, plan, render, write): about 2,000/s on a loaded
# machine; the goal is 5,000/s.
ASSEMBLY_S = 1 / 2000
# One chat takes about one message a second: a digest in three parts reaches its reader
# about two seconds after its first part.
CHAT_GAP_S = 1.1
SLACK_S = 2.0
# Beyond the lead, this much more of the future is read when deciding a tick: a crowd
# just past the lead still asks the minutes before it to be done in time.
PLAN_BEYOND = timedelta(hours=1)
# Hostile numbers are brought into these bounds rather than divided by.
MIN_RATE = 0.001
MAX_PARTS = 100.0
# An estimate of lateness is capped here: beyond a week it only says "very late".
MAX_ESTIMATE_S = 7 * 86400.0


@dataclass(frozen=True)
class Minute:
    """One due minute on one platform: readers not dispatched yet, and messages already in
    the outbox due then (a crowd started earlier, retries; sent before later minutes)."""

    at: datetime
    readers: int = 0
    queued: float = 0.0


@dataclass(frozen=True)
class Pace:
    """How fast a platform's digests go out, and the planning bounds."""

    rate: float  # messages/s, safety share included
    parts: float = 1.0  # messages per digest
    lead: timedelta = timedelta(minutes=30)
    tick: timedelta = timedelta(seconds=30)
    assembly: float = ASSEMBLY_S  # seconds per digest


@dataclass(frozen=True)
class MinutePlan:
    """When a minute's readers are dispatched (``start``, an instant) and when its last
    reader is expected to have the digest (``latest_s``, seconds after the minute)."""

    at: datetime
    readers: int
    start: datetime
    latest_s: float  # expected latest arrival minus ``at``, capped at MAX_ESTIMATE_S

    @property
    def lead(self) -> timedelta:
        return self.at - self.start

    @property
    def crowd(self) -> bool:
        """Started early, or expected to arrive after its minute."""
        return self.readers > 0 and (self.start < self.at or self.latest_s > MINUTE_S)


def _finite(value: float, low: float, high: float, default: float) -> float:
    if not isinstance(value, int | float) or math.isnan(value):
        return default
    return min(max(float(value), low), high)


def _sane(pace: Pace) -> tuple[float, float, float, float, float]:
    """rate, parts, lead s, tick s, assembly s: hostile values brought into bounds."""
    rate = _finite(pace.rate, MIN_RATE, 1e12, MIN_RATE)
    parts = _finite(pace.parts, 1.0, MAX_PARTS, 1.0)
    lead = _finite(pace.lead.total_seconds(), 0.0, 7 * 86400.0, 0.0)
    tick = _finite(pace.tick.total_seconds(), 0.0, 3600.0, 0.0)
    assembly = _finite(pace.assembly, 0.0, 60.0, ASSEMBLY_S)
    return rate, parts, lead, tick, assembly


def _queued(minute: Minute) -> float:
    return _finite(minute.queued, 0.0, 1e18, 0.0)


def _starts(minutes: Sequence[Minute], offsets: Sequence[float], pace: Pace) -> list[float | None]:
    """Backward pass: each minute's start (seconds from now; None without readers)."""
    rate, parts, lead, tick, assembly = _sane(pace)
    tail = (parts - 1) * CHAT_GAP_S
    starts: list[float | None] = [None] * len(minutes)
    need = math.inf  # by when the sender must begin the later minutes
    later = math.inf  # the earliest start among the later minutes
    for k in range(len(minutes) - 1, -1, -1):
        minute, t = minutes[k], offsets[k]
        readers = max(0, minute.readers)
        load = (readers * parts + _queued(minute)) / rate
        s = min(t + MINUTE_S, need) - load
        if readers == 0:  # already queued: nothing to dispatch, it only takes time
            need = s
            continue
        margin = tick + readers * assembly + tail + SLACK_S
        start = min(t, max(s - margin, t - lead), later)
        starts[k] = later = start
        need = max(s, start)
    return starts


def _arrivals(
    minutes: Sequence[Minute], offsets: Sequence[float], starts: Sequence[float | None], pace: Pace
) -> list[float]:
    """Forward pass: each minute's expected latest arrival, seconds after its minute."""
    rate, parts, _, _, assembly = _sane(pace)
    tail = (parts - 1) * CHAT_GAP_S
    free = 0.0  # when the sender is done with what comes before
    result = []
    for minute, t, start in zip(minutes, offsets, starts, strict=True):
        readers = max(0, minute.readers)
        free += _queued(minute) / rate
        if start is not None:
            free = max(free, max(start, 0.0) + readers * assembly)
        free += readers * parts / rate
        result.append(min(free + tail - t, MAX_ESTIMATE_S))
    return result


def plan(minutes: Sequence[Minute], pace: Pace, *, now: datetime) -> list[MinutePlan]:
    """Each minute with readers: its start and expected latest arrival (pure). Minutes
    may come in any order; two entries for one minute are added together."""
    merged: dict[datetime, Minute] = {}
    for m in minutes:
        old = merged.get(m.at)
        merged[m.at] = Minute(m.at, old.readers + m.readers, old.queued + m.queued) if old else m
    ordered = [merged[at] for at in sorted(merged)]
    offsets = [(m.at - now).total_seconds() for m in ordered]
    starts = _starts(ordered, offsets, pace)
    arrivals = _arrivals(ordered, offsets, starts, pace)
    return [
        MinutePlan(m.at, m.readers, m.at + timedelta(seconds=start - t), latest)
        for m, t, start, latest in zip(ordered, offsets, starts, arrivals, strict=True)
        if start is not None
    ]


def dispatch_until(plans: Sequence[MinutePlan], *, now: datetime) -> datetime | None:
    """The last instant of the latest minute after ``now`` whose start has come (pure):
    everyone due up to it is dispatched now. None when no crowd must start yet."""
    started = [p.at for p in plans if p.start <= now and p.at > now]
    return max(started) + timedelta(seconds=59) if started else None


def pace_of(platform: str, delivery: DeliveryLimits, parts: float, tick: timedelta) -> Pace | None:
    """The planning pace of a platform the pacer limits; None for one it does not."""
    rate = delivery.max_rate(platform)
    if rate is None:
        return None
    return Pace(rate * PACE_SHARE, parts, delivery.max_lead, tick)


async def forecast(
    store: Store, settings: Settings, *, now: datetime, until: datetime
) -> dict[str, list[MinutePlan]]:
    """Per platform, the plan of every due minute from now to ``until``."""
    delivery = settings.delivery
    since = now - delivery.dispatch_interval - timedelta(minutes=1)
    due = await store.due_per_minute(since=since, until=until, now=now)
    queued = await store.queued_per_minute(now=now)
    parts = await store.parts_per_digest(now=now)
    result: dict[str, list[MinutePlan]] = {}
    for platform in sorted(set(due) | set(queued)):
        pace = pace_of(platform, delivery, parts.get(platform, 1.0), delivery.dispatch_interval)
        if pace is None:
            continue
        minutes = _minutes(due.get(platform, {}), queued.get(platform, {}))
        result[platform] = plan(minutes, pace, now=now)
    return result


def _minutes(due: Mapping[datetime, int], queued: Mapping[datetime, float]) -> list[Minute]:
    return [Minute(at, due.get(at, 0), queued.get(at, 0.0)) for at in sorted({*due, *queued})]


async def start_early(store: Store, settings: Settings, *, now: datetime) -> dict[str, datetime]:
    """Per platform, the latest due instant whose readers must be dispatched at ``now``
    so that the last of each crowd still gets the digest by its minute; empty when
    DIGEST_MAX_LEAD_MINUTES is 0."""
    lead = settings.delivery.max_lead
    if lead <= timedelta(0):
        return {}
    plans = await forecast(store, settings, now=now, until=now + lead + PLAN_BEYOND)
    early = {}
    for platform, minutes in plans.items():
        until = dispatch_until(minutes, now=now)
        if until is not None:
            early[platform] = until
    if early:
        # Those minutes lose their readers on these platforms only: the split of the
        # rest between platforms is read again next time, not scaled from this one.
        store.forget_splits(max(early.values()))
    return early
