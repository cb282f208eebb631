"""Fewer trips to the store per command: what a command reads about its chat comes in one
statement (``Store.chat_view``), its change goes in one transaction that also stores a new
chat (``Store.subscribe_chat``, ``change_chat``), and the live categories come from a
cache. A common command (subscribe, unsubscribe, list, time zone and the other settings)
makes one or two round trips where it made five to seven.

``CommandSession`` is what the core's reader actions (``digests.actions``) get as their
store for one command: it answers the reads they make from the chat view and the cache,
turns ``stored`` (store the draft now) and the write after it into one transaction, and
passes anything else to the store. ``ChoiceCache`` also feeds autocomplete, which must
answer at once and cannot be deferred: it never waits long on a busy store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from cachetools import LRUCache

from digests.models import Category, Subscriber
from digests.store import Store

log = logging.getLogger(__name__)

# How long the live categories are trusted. A category added by another process is
# offered after this; one retired meanwhile is refused by the write (``require_live``).
CATEGORIES_TTL_S = 30.0
# How long autocomplete waits on the store when nothing is cached yet.
AUTOCOMPLETE_WAIT_S = 0.5
CHATS_KEPT = 10_000  # chats whose categories autocomplete remembers
AUTOCOMPLETE_LIMIT = 25  # Discord shows at most 25 choices
ZONES_KEPT = 2_000  # what was typed into the time-zone box, with its suggestions


def _note_failure(task: asyncio.Task[list[Category]]) -> None:
    """A read of the categories that failed is logged once here (autocomplete may have
    answered from the stale list and never looked at it); the next call reads again."""
    if not task.cancelled() and task.exception() is not None:
        error = task.exception()
        log.warning("could not read the categories: %s: %s", type(error).__name__, error)


class ChoiceCache:
    """The live categories (refreshed after ``ttl`` seconds, one read at a time) and the
    categories of recently seen chats, for commands and autocomplete."""

    def __init__(
        self, ttl: float = CATEGORIES_TTL_S, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._monotonic = monotonic
        self._categories: list[Category] | None = None
        self._read_at = 0.0
        self._reading: asyncio.Task[list[Category]] | None = None
        # chat id -> (its categories, its language), as last seen here
        self._chats: LRUCache[str, tuple[tuple[str, ...], str]] = LRUCache(CHATS_KEPT)
        self._zones: LRUCache[tuple[str, str], list[str]] = LRUCache(ZONES_KEPT)

    def _refresh(self, store: Store) -> asyncio.Task[list[Category]]:
        """The read of the categories under way, or a new one (one at a time)."""
        if self._reading is None or self._reading.done():
            self._reading = asyncio.get_running_loop().create_task(self._read(store))
            self._reading.add_done_callback(_note_failure)
        return self._reading

    async def _read(self, store: Store) -> list[Category]:
        categories = await store.list_categories()
        self._categories, self._read_at = categories, self._monotonic()
        return categories

    def _fresh(self) -> bool:
        return self._categories is not None and self._monotonic() - self._read_at < self._ttl

    async def categories(self, store: Store) -> list[Category]:
        """The live categories: cached, or read now (commands wait for them)."""
        if self._fresh():
            assert self._categories is not None
            return self._categories
        return await asyncio.shield(self._refresh(store))

    async def categories_now(
        self, store: Store, wait: float = AUTOCOMPLETE_WAIT_S
    ) -> list[Category]:
        """The categories without waiting on a busy store (autocomplete): the cached ones,
        even stale (a fresh read starts behind them), or what a read gives within
        ``wait`` seconds, else none."""
        if self._fresh():
            assert self._categories is not None
            return self._categories
        reading = self._refresh(store)
        if self._categories is not None:
            return self._categories
        with contextlib.suppress(TimeoutError):
            return await asyncio.wait_for(asyncio.shield(reading), wait)
        return []

    def zones(self, typed: str, now: datetime, suggest: Callable[..., list[str]]) -> list[str]:
        """``suggest(typed, AUTOCOMPLETE_LIMIT, now=now)`` (the time zones for what was
        typed: a scan of every zone name, milliseconds each), kept for the hour: a
        crowd typing the same letters is answered from memory."""
        key = (typed.strip().lower(), now.strftime("%Y-%m-%d %H"))
        found = self._zones.get(key)
        if found is None:
            found = self._zones[key] = suggest(typed, AUTOCOMPLETE_LIMIT, now=now)
        return found

    def forget_categories(self) -> None:
        """Read the categories again at the next use (they were found to have changed)."""
        self._categories = None

    def remember(self, chat_id: str, categories: Sequence[str], language: str) -> None:
        self._chats[chat_id] = (tuple(categories), language)

    def chat(self, chat_id: str) -> tuple[tuple[str, ...], str] | None:
        """The categories and language a chat had when last seen here, or None."""
        return self._chats.get(chat_id)


class CommandSession:
    """The store as the reader actions see it during one command; see the module's
    docstring. ``draft`` is the command's chat: stored, or a draft (id 0) stored by the
    first write. ``announcement`` is recorded with a subscription (None: not known)."""

    def __init__(
        self,
        store: Store,
        cache: ChoiceCache,
        draft: Subscriber | None,
        announcement: bool | None = None,
    ) -> None:
        self._store = store
        self._cache = cache
        self._draft = draft
        self._announcement = announcement
        # The chat's live categories after this command's write (None: no write made).
        self.categories_after: tuple[str, ...] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def list_categories(self) -> list[Category]:
        return await self._cache.categories(self._store)

    async def stored(self, subscriber: Subscriber) -> Subscriber:
        """No trip: the draft is stored by the write that follows, in its transaction."""
        return subscriber

    def _chat(self, subscriber_id: int) -> Subscriber:
        if self._draft is None or subscriber_id not in (0, self._draft.id):
            raise ValueError("a command session changes its own chat only")
        return self._draft

    async def subscribe(
        self, subscriber_id: int, categories: Sequence[str], *, now: datetime, by: str | None = None
    ) -> None:
        chat = self._chat(subscriber_id)
        try:
            await self._store.subscribe_chat(
                chat, categories, now=now, by=by, announcement=self._announcement
            )
        except Exception:
            self._cache.forget_categories()  # refused as retired: the cache is behind
            raise
        after = tuple(dict.fromkeys([*chat.categories, *categories]))
        self._written(after)

    async def update_subscriber(
        self,
        subscriber_id: int,
        *,
        now: datetime,
        change: str | None = None,
        by: str | None = None,
        **fields: object,
    ) -> None:
        chat = self._chat(subscriber_id)
        await self._store.change_chat(chat, now=now, change=change, by=by, **fields)
        self._written(chat.categories)

    async def unsubscribe(
        self,
        subscriber_id: int,
        categories: Sequence[str] | None,
        *,
        now: datetime | None = None,
        by: str | None = None,
    ) -> int:
        chat = self._chat(subscriber_id)
        removed = await self._store.unsubscribe(subscriber_id, categories, now=now, by=by)
        gone = set(categories) if categories is not None else set(chat.categories)
        self._written(tuple(c for c in chat.categories if c not in gone))
        return removed

    def _written(self, categories: tuple[str, ...]) -> None:
        assert self._draft is not None
        self.categories_after = categories
        self._cache.remember(self._draft.chat_id, categories, self._draft.language)
