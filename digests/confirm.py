"""Confirmations of destructive requests (a chat's "forget"), platform-free.

A confirmation belongs to the request that asked for it: ``create`` makes a token that the
confirm button carries (12 characters, so it fits Telegram's 64-byte callback data) for
one chat, and ``take`` accepts it once, from the right person, before it expires. Without
a live token a confirm button does nothing, so a member who forges "yes" deletes nothing.

Who may confirm: the owner named at creation (the person who asked, in a private chat),
or, with no owner (a group or a channel, where an anonymous admin or a channel post has no
person to name), anyone the adapter tells ``take`` is an admin of the chat. A refused press
leaves the token for its rightful owner. The book is in memory and bounded: a restart
forgets every token (the button then says it expired), and the oldest go first when full.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

CONFIRM_SECONDS = 600  # how long a confirmation waits for its press
MAX_PENDING = 10_000  # tokens kept at most; the oldest are dropped first


class Outcome(Enum):
    OK = "ok"  # confirmed: do it (the token is spent)
    REFUSED = "refused"  # not this asker's, or not this chat's: the token stays
    EXPIRED = "expired"  # unknown, spent or too old: ask again


@dataclass(frozen=True)
class _Pending:
    chat: str
    owner: str | None
    expires_at: datetime


class Confirmations:
    """The tokens of requests waiting for their confirmation. Callers pass ``now``."""

    def __init__(
        self, ttl: timedelta = timedelta(seconds=CONFIRM_SECONDS), capacity: int = MAX_PENDING
    ) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._pending: dict[str, _Pending] = {}

    def create(self, chat: str, owner: str | None, now: datetime) -> str:
        """A new token for a request in ``chat``; only ``owner`` may confirm it, or with
        no owner, the chat's admins."""
        self._pending = {k: p for k, p in self._pending.items() if now <= p.expires_at}
        while len(self._pending) >= self.capacity:
            del self._pending[next(iter(self._pending))]
        token = secrets.token_urlsafe(9)
        self._pending[token] = _Pending(chat, owner, now + self.ttl)
        return token

    def take(self, token: str, chat: str, asker: str, is_admin: bool, now: datetime) -> Outcome:
        """Whether ``asker`` (an admin of ``chat`` or not) may confirm ``token`` now; an
        accepted token is spent, a refused one is kept for its owner."""
        pending = self._pending.get(token)
        if pending is None:
            return Outcome.EXPIRED
        if pending.expires_at < now:
            del self._pending[token]
            return Outcome.EXPIRED
        if pending.chat != chat:
            return Outcome.REFUSED
        allowed = asker == pending.owner if pending.owner is not None else is_admin
        if not allowed:
            return Outcome.REFUSED
        del self._pending[token]
        return Outcome.OK

    def __len__(self) -> int:
        return len(self._pending)
