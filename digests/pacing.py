"""Pacing planned ahead with token buckets, so sends stay under each platform's limits
instead of discovering them through 429s.

Each bucket is a GCRA ("virtual scheduling") token bucket: it remembers the theoretical
time its next token is free. ``Pacer.reserve`` finds the earliest instant at which every
bucket a message needs (the platform's global one, the chat's, the group's) has a token,
takes those tokens at that instant and returns how long to wait. Times are plain floats
(seconds on a monotonic clock) passed in, so the arithmetic is tested without sleeping.

A bucket books each send at its own instant, but a stalled event loop (a garbage
collection, a long claim) sends the ones it held together, late, and then the next ones
on time: the platform, counting what arrives within a second, sees more than the pace.
``Pacer.release`` keeps the last second of a platform's outbox sends as they go out and
holds a send back while that second is full.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from digests.delivery_settings import TELEGRAM_FREE_CAP

# A 429 slows a platform's pace by SLOW_FACTOR; each RECOVER_AFTER_S without another earns
# one step back, up to the configured rate. Without the way back, a few 429s from timing
# jitter on a loaded machine held a whole fan-out at 0.7 x the cap.
SLOW_FACTOR = 0.9
RECOVER_AFTER_S = 60.0
# The 429s of one burst (an event-loop stall bunches a few sends, and the platform answers
# each of them with a 429 at once) slow the pace once: no second slow-down within
# max(retry_after, BURST_S) of the last. Else one stall cut 28.5 msg/s to 14 for minutes.
BURST_S = 1.0


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    burst: float = 1.0  # tokens available at once
    tat: float = 0.0  # theoretical arrival time of the next conforming request
    nominal_rate: float = field(init=False)
    slowed_at: float | None = None  # the last 429's (or recovery step's) instant
    burst_until: float = float("-inf")  # 429s before this belong to the last slow-down's burst

    def __post_init__(self) -> None:
        self.nominal_rate = self.rate

    def earliest(self, now: float) -> float:
        """The first instant at or after ``now`` when a token is free."""
        tolerance = (self.burst - 1) / self.rate
        return max(now, self.tat - tolerance)

    def take(self, at: float) -> None:
        """Spend a token at instant ``at`` (which must be ≥ ``earliest``)."""
        self._recover(at)
        self.tat = max(self.tat, at) + 1 / self.rate

    def _recover(self, now: float) -> None:
        if self.slowed_at is None or now - self.slowed_at < RECOVER_AFTER_S:
            return
        self.rate = min(self.nominal_rate, self.rate / SLOW_FACTOR)
        self.slowed_at = now if self.rate < self.nominal_rate else None

    def pause_until(self, until: float) -> None:
        """The platform said to wait: nothing conforms before ``until``."""
        self.tat = max(self.tat, until + (self.burst - 1) / self.rate)

    def slow_down(
        self,
        now: float,
        factor: float = SLOW_FACTOR,
        floor: float = 0.5,
        retry_after: float = 0.0,
    ) -> None:
        """Lower the rate after a 429, never below ``floor`` × the configured rate; it
        comes back a step for each ``RECOVER_AFTER_S`` without another. A 429 within
        max(``retry_after``, ``BURST_S``) of the last slow-down is of the same burst and
        changes nothing (nor does it restart the recovery)."""
        if now < self.burst_until:
            return
        self.rate = max(self.nominal_rate * floor, self.rate * factor)
        self.slowed_at = now
        self.burst_until = now + max(retry_after, BURST_S)

    def idle(self, now: float) -> bool:
        return self.tat <= now


@dataclass(frozen=True)
class Limit:
    key: str
    rate: float
    burst: float = 1.0
    # Holds only for direct sends (command replies, notes), not for the outbox's
    # broadcasts: Telegram's free cap of 30/s, when paid broadcasts lift the bot's overall
    # cap to 1,000/s for digests and breaking news.
    direct_only: bool = False


# Keys of a platform's buckets shared by every chat (the others are a chat's or a group's).
SHARED = frozenset({"global", "free"})


# A policy tells which buckets a message to a chat needs, per platform.
Policy = Callable[[str], list[Limit]]


def telegram_policy(max_rate: float = 30.0, margin: float = 0.95) -> Policy:
    """Telegram: ``max_rate`` messages/s overall, about 1/s per chat, 20/min per group
    (group and channel chat ids are negative). ``margin`` keeps a little headroom so the
    event loop's timing jitter cannot push a second over the limit.

    Above 30/s the outbox's sends are paid broadcasts and direct sends (command replies)
    are not: those also keep to the free 30/s (a bucket of their own, waited out before
    the global one is booked, ``Pacer.own_wait``)."""
    shared = [Limit("global", max_rate * margin)]
    if max_rate > TELEGRAM_FREE_CAP:
        shared.append(Limit("free", TELEGRAM_FREE_CAP * margin, direct_only=True))

    def limits(chat_id: str) -> list[Limit]:
        result = [*shared, Limit(f"chat:{chat_id}", 0.9)]
        if chat_id.startswith("-"):
            result.append(Limit(f"group:{chat_id}", 20 / 60 * margin))
        return result

    return limits


def discord_policy(max_rate: float = 50.0, margin: float = 0.95) -> Policy:
    """Discord: 50 requests/s overall, about 5 messages per 5 s per channel."""

    def limits(channel_id: str) -> list[Limit]:
        return [Limit("global", max_rate * margin), Limit(f"chat:{channel_id}", 0.95)]

    return limits


def unlimited_policy(chat_id: str) -> list[Limit]:
    return []


class Pacer:
    """Buckets for every platform and chat, created on first use and pruned when idle."""

    def __init__(self, policies: dict[str, Policy]) -> None:
        self._policies = policies
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        # Per platform, the instants of its last sends, as many as its pace allows a second.
        self._sent: dict[str, deque[float]] = {}

    def _bucket(self, platform: str, limit: Limit) -> TokenBucket:
        key = (platform, limit.key)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = TokenBucket(limit.rate, limit.burst)
            self._buckets[key] = bucket
        return bucket

    def _limits(self, platform: str, chat_id: str, broadcast: bool) -> list[Limit]:
        limits = self._policies.get(platform, unlimited_policy)(chat_id)
        return [limit for limit in limits if not (broadcast and limit.direct_only)]

    def reserve(self, platform: str, chat_id: str, now: float, *, broadcast: bool = False) -> float:
        """Reserve a send to ``chat_id``; return the seconds to wait before sending it.
        ``broadcast``: an outbox send (a digest, breaking news), not held by the limits
        of direct sends (``Limit.direct_only``)."""
        buckets = [
            self._bucket(platform, limit) for limit in self._limits(platform, chat_id, broadcast)
        ]
        at = max((b.earliest(now) for b in buckets), default=now)
        for bucket in buckets:
            bucket.take(at)
        return at - now

    def book(
        self, platform: str, chat_id: str, now: float, *, broadcast: bool = False
    ) -> tuple[float, bool]:
        """``own_wait`` and, when that is 0, ``reserve`` at once, with the send's buckets
        looked up once (a fan-out sends once to each of thousands of chats): the seconds to
        wait, and whether the send is booked. Not booked: wait, then ``reserve``."""
        limits = self._limits(platform, chat_id, broadcast)
        buckets = [self._bucket(platform, limit) for limit in limits]
        pairs = zip(buckets, limits, strict=True)
        own = max((b.earliest(now) for b, lim in pairs if lim.key != "global"), default=now)
        if own > now:
            return own - now, False
        at = max((b.earliest(now) for b in buckets), default=now)
        for bucket in buckets:
            bucket.take(at)
        return at - now, True

    def own_wait(
        self, platform: str, chat_id: str, now: float, *, broadcast: bool = False
    ) -> float:
        """Seconds until every bucket the send needs but the platform's global one (the
        chat's, the group's, and for a direct send the free cap) has a token; nothing is
        taken. A sender that waits this out before ``reserve`` does not book a global
        token at a future turn, which would hold every other chat until then (one bucket
        remembers one instant, not the gaps before it); another sender may take the
        token meanwhile, so wait again until this is 0."""
        own = [
            self._bucket(platform, limit)
            for limit in self._limits(platform, chat_id, broadcast)
            if limit.key != "global"
        ]
        return max((b.earliest(now) for b in own), default=now) - now

    def penalise(
        self,
        platform: str,
        chat_id: str,
        retry_after: float,
        now: float,
        *,
        broadcast: bool = False,
    ) -> None:
        """After a 429: the chat waits ``retry_after`` and the platform's pace slows a bit
        (the pace of what was sent: broadcasts or direct sends)."""
        for limit in self._limits(platform, chat_id, broadcast):
            bucket = self._bucket(platform, limit)
            if limit.key in SHARED:
                bucket.slow_down(now, retry_after=retry_after)
            else:
                bucket.pause_until(now + retry_after)

    def release(self, platform: str, now: float) -> float:
        """The seconds a send booked with ``reserve`` still waits so that no second holds
        more of the platform's sends than its pace (rounded up); the send is noted at
        ``now`` plus that wait. Call it once per send, as it goes out."""
        bucket = self._buckets.get((platform, "global"))
        if bucket is None:
            return 0.0
        size = math.ceil(bucket.rate)
        sent = self._sent.get(platform)
        if sent is None:
            sent = self._sent[platform] = deque()
        while len(sent) > size:  # the pace was slowed since
            sent.popleft()
        at = now
        if len(sent) == size:
            at = max(now, sent.popleft() + 1.0)
        sent.append(at)
        return at - now

    def rate(self, platform: str) -> float | None:
        bucket = self._buckets.get((platform, "global"))
        return bucket.rate if bucket else None

    def prune(self, now: float) -> int:
        """Forget idle per-chat buckets (they would start full again anyway)."""
        idle = [k for k, b in self._buckets.items() if k[1] not in SHARED and b.idle(now)]
        for key in idle:
            del self._buckets[key]
        return len(idle)
