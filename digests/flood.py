"""Flood limits for what members send the bots: which commands and button presses are
admitted, per chat and per member, and a gate that lets one notice per key through per
minute. Platform-free and clock-driven: every decision takes ``now`` (seconds on a
monotonic clock), so the limits are tested as tables, without sleeping.

The adapters (``bot.telegram.flood``, ``bot.discord.flood``) ask ``Admission.admit``
before a command or a press runs; what is refused is dropped there (a button press is
still answered), and ``NoticeGate`` decides whether the member is told, at most once a
minute per chat or member. A chat's limit holds a crowd in one group; a member's limit
holds one account that floods many chats.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from digests.pacing import TokenBucket

NOTICE_EVERY_S = 60.0
# Keys kept before idle ones are forgotten (an idle bucket would start full anyway).
MAX_KEYS = 50_000


@dataclass(frozen=True)
class FloodLimits:
    """How much one chat and one member may send before the excess is dropped."""

    chat_per_minute: float = 20.0  # Telegram's own pace for a group's replies
    chat_burst: float = 8.0
    user_per_minute: float = 30.0  # across every chat the member writes in
    user_burst: float = 10.0
    # Each member's own share of a chat: admitted even when a crowd has spent the chat's
    # limit, so two or three flooding accounts cannot lock the chat's moderators out.
    share_per_minute: float = 3.0
    share_burst: float = 3.0
    # Admitted updates waiting in one chat at once; a press needs a shorter queue, as it
    # must be answered while the member still looks at the button.
    max_waiting: int = 6
    press_waiting: int = 3


@dataclass(frozen=True)
class Refused:
    """Why an update was not admitted: ``scope`` is "chat" or "user", ``key`` the chat or
    member it was counted against, ``retry_after`` the seconds until one more fits."""

    scope: str
    key: str
    retry_after: float

    @property
    def notice_key(self) -> str:
        return f"{self.scope}:{self.key}"


class Admission:
    """Token buckets per chat and per member (GCRA, as delivery's pacing): an update is
    admitted only if both have a token, and then takes one from each; a refused update
    takes none, so a flood does not push the member's next turn further away."""

    def __init__(self, limits: FloodLimits = FloodLimits(), max_keys: int = MAX_KEYS) -> None:
        self.limits = limits
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._max_keys = max_keys

    def _bucket(self, scope: str, key: str, per_minute: float, burst: float) -> TokenBucket:
        bucket = self._buckets.get((scope, key))
        if bucket is None:
            bucket = TokenBucket(per_minute / 60.0, burst)
            self._buckets[(scope, key)] = bucket
        return bucket

    def admit(
        self, chat: str, user: str | None, now: float, *, waiting: int = 0, press: bool = False
    ) -> Refused | None:
        """None if the update from ``user`` in ``chat`` may run (its tokens are taken),
        else why not. ``waiting``: how many admitted updates of the chat have not run yet."""
        limits = self.limits
        if waiting >= (limits.press_waiting if press else limits.max_waiting):
            return Refused("chat", chat, 1.0)
        if len(self._buckets) > self._max_keys:
            self.prune(now)
        chat_bucket = self._bucket("chat", chat, limits.chat_per_minute, limits.chat_burst)
        if user is None:
            return self._take(now, [("chat", chat, chat_bucket)])
        user_bucket = self._bucket("user", user, limits.user_per_minute, limits.user_burst)
        share = self._bucket(
            "share", f"{chat}\x00{user}", limits.share_per_minute, limits.share_burst
        )
        if chat_bucket.earliest(now) > now and share.earliest(now) <= now:
            # The crowd spent the chat's limit, not this member: their own share of it.
            return self._take(now, [("user", user, user_bucket), ("share", chat, share)])
        refused = self._take(now, [("chat", chat, chat_bucket), ("user", user, user_bucket)])
        if refused is None and share.earliest(now) <= now:
            share.take(now)  # a member's share counts what they sent while the chat had room
        return refused

    @staticmethod
    def _take(now: float, buckets: list[tuple[str, str, TokenBucket]]) -> Refused | None:
        """Take a token from each bucket if all have one, else say which has none."""
        for scope, key, bucket in buckets:
            earliest = bucket.earliest(now)
            if earliest > now:
                return Refused("chat" if scope == "share" else scope, key, earliest - now)
        for _, _, bucket in buckets:
            bucket.take(now)
        return None

    def prune(self, now: float) -> int:
        """Forget buckets that are full again."""
        idle = [key for key, bucket in self._buckets.items() if bucket.idle(now)]
        for key in idle:
            del self._buckets[key]
        return len(idle)


class NoticeGate:
    """Lets one notice per key through every ``every`` seconds ("slow down", a refusal,
    an audit row). ``allow`` answers 0 while the key is held, else 1 plus how many were
    held since the last one let through: truthy exactly when the notice may go out, and
    the count is what an audit row reports."""

    def __init__(self, every: float = NOTICE_EVERY_S, max_keys: int = MAX_KEYS) -> None:
        self.every = every
        self._last: dict[Hashable, float] = {}
        self._held: dict[Hashable, int] = {}
        self._max_keys = max_keys

    def allow(self, key: Hashable, now: float) -> int:
        last = self._last.get(key)
        if last is not None and now - last < self.every:
            self._held[key] = self._held.get(key, 0) + 1
            return 0
        if len(self._last) > self._max_keys:
            self.prune(now)
        self._last[key] = now
        return 1 + self._held.pop(key, 0)

    def prune(self, now: float) -> int:
        """Forget keys whose minute is over (a count held for them is dropped too)."""
        old = [key for key, last in self._last.items() if now - last >= self.every]
        for key in old:
            del self._last[key]
            self._held.pop(key, None)
        return len(old)
