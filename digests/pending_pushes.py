"""Breaking pushes previewed in a chat and waiting for the admin who asked to confirm them.

The confirm button carries a token; only the admin who asked may take it, once, before it
expires. Another admin's press is refused (the caller audits it with ``peek``) and leaves
the push for its owner.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

PUSH_CONFIRM_SECONDS = 600  # how long a previewed push waits for its admin's confirmation


class PendingPush(NamedTuple):
    """A push previewed in a chat, waiting for the admin who asked for it to confirm."""

    category: str
    article_id: int
    admin_id: int  # only this admin may confirm it
    expires_at: datetime


class PendingPushes:
    """Previewed pushes by the token their confirm button carries; in memory, so a restart
    drops them (the button then says "Not sent"). Callers pass ``now`` from their clock."""

    def __init__(self, ttl: timedelta = timedelta(seconds=PUSH_CONFIRM_SECONDS)) -> None:
        self.ttl = ttl
        self._by_token: dict[str, PendingPush] = {}

    def add(self, category: str, article_id: int, admin_id: int, *, now: datetime) -> str:
        """Keep a previewed push (dropping expired ones); returns its new token."""
        self._by_token = {k: p for k, p in self._by_token.items() if now <= p.expires_at}
        token = secrets.token_urlsafe(9)  # 12 characters: fits Telegram's callback data
        self._by_token[token] = PendingPush(category, article_id, admin_id, now + self.ttl)
        return token

    def peek(self, token: str, *, now: datetime) -> PendingPush | None:
        """The live push ``token`` stands for, without taking it (to tell whose it is)."""
        pending = self._by_token.get(token)
        return pending if pending is not None and now <= pending.expires_at else None

    def take(self, token: str, admin_id: int, *, now: datetime) -> PendingPush | None:
        """The push ``token`` stands for, at most once; None when the token is unknown,
        expired or another admin's. Another admin's press leaves it for its owner."""
        pending = self._by_token.get(token)
        if pending is None or pending.admin_id != admin_id:
            return None
        del self._by_token[token]
        return pending if now <= pending.expires_at else None

    def __len__(self) -> int:
        return len(self._by_token)
