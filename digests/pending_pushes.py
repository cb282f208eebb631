"""Breaking pushes previewed in a chat and waiting for the admin who asked to confirm them.

The confirm button carries a token; only the admin who asked may take it, once, before it
expires. Another admin's press is refused (the caller audits it with ``peek``) and leaves
the push for its owner.

The pushes are kept in the store (``Store.add_pending_push`` and friends), not in memory:
a button pressed after a restart, or whose press reaches another process sharing the
database, still finds its push, and two presses at once (two processes) send it once.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from digests.store._pending import StoredPush

if TYPE_CHECKING:
    from digests.store import Store

PUSH_CONFIRM_SECONDS = 600  # how long a previewed push waits for its admin's confirmation
# Tokens drawn before giving up on a free one (72 random bits each: a second draw is
# already a once-in-the-universe event, so the bound only guards against a broken RNG).
TOKEN_DRAWS = 5
# What a token can be (``secrets.token_urlsafe``'s alphabet). A press's token comes from
# a button anyone can forge: anything else names no push and is not looked up (PostgreSQL
# refuses text with a NUL in it, which Telegram's callback data may carry).
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,40}")


class PendingPush(NamedTuple):
    """A push previewed in a chat, waiting for the admin who asked for it to confirm."""

    category: str
    article_id: int
    admin_id: int  # only this admin may confirm it
    expires_at: datetime


def _pending(stored: StoredPush | None) -> PendingPush | None:
    if stored is None:
        return None
    return PendingPush(stored.category, stored.article_id, int(stored.admin_id), stored.expires_at)


class PendingPushes:
    """Previewed pushes of one platform by the token their confirm button carries, kept in
    ``store``. Callers pass ``now`` from their clock."""

    def __init__(
        self,
        store: Store,
        platform: str,
        ttl: timedelta = timedelta(seconds=PUSH_CONFIRM_SECONDS),
    ) -> None:
        self.store = store
        self.platform = platform
        self.ttl = ttl

    async def add(self, category: str, article_id: int, admin_id: int, *, now: datetime) -> str:
        """Keep a previewed push (dropping expired ones); returns its new token."""
        for _ in range(TOKEN_DRAWS):
            token = secrets.token_urlsafe(9)  # 12 characters: fits Telegram's callback data
            push = StoredPush(
                token, self.platform, category, article_id, str(admin_id), now + self.ttl
            )
            if await self.store.add_pending_push(push, now=now):
                return token
        raise RuntimeError("no free push token after several draws")  # pragma: no cover

    async def peek(self, token: str, *, now: datetime) -> PendingPush | None:
        """The live push ``token`` stands for, without taking it (to tell whose it is)."""
        if not TOKEN.fullmatch(token):
            return None
        return _pending(await self.store.peek_pending_push(token, platform=self.platform, now=now))

    async def take(self, token: str, admin_id: int, *, now: datetime) -> PendingPush | None:
        """The push ``token`` stands for, at most once (whichever process asks); None when
        the token is unknown, expired or another admin's. Another admin's press leaves it
        for its owner."""
        if not TOKEN.fullmatch(token):
            return None
        stored = await self.store.take_pending_push(
            token, platform=self.platform, admin_id=str(admin_id), now=now
        )
        return _pending(stored)

    async def count(self, *, now: datetime) -> int:
        """How many live pushes of this platform wait for their admin."""
        return await self.store.count_pending_pushes(platform=self.platform, now=now)
