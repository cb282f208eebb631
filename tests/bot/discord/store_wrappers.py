"""Store wrappers for the Discord tests: one that holds every store call until the test
opens a gate (a busy database, without sleeping), one that counts the calls a command
makes (its round trips to the store) and the SQL statements they send."""

from __future__ import annotations

import asyncio
import inspect
from collections import Counter
from typing import Any

from digests.store import Store


class GatedStore:
    """``store`` whose every coroutine method waits for ``gate`` first."""

    def __init__(self, store: Store, gate: asyncio.Event) -> None:
        self._store = store
        self._gate = gate
        self.waiting = 0  # calls held at the gate now

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        async def gated(*args: Any, **kwargs: Any) -> Any:
            self.waiting += 1
            try:
                await self._gate.wait()
            finally:
                self.waiting -= 1
            return await attribute(*args, **kwargs)

        return gated


class CountingStore:
    """``store`` counting each coroutine method called (``calls``, by name) and each SQL
    statement sent on its connections (``statements``)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.calls: Counter[str] = Counter()
        self.statements = 0
        for attribute in ("_db", "_reader"):
            connection = getattr(store, attribute)
            if not isinstance(connection, _CountingConnection):
                setattr(store, attribute, _CountingConnection(connection, self))

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return await attribute(*args, **kwargs)

        return counted

    def restore(self) -> None:
        """Put the store's own connections back (before it is closed)."""
        for attribute in ("_db", "_reader"):
            wrapped = getattr(self._store, attribute)
            if isinstance(wrapped, _CountingConnection):
                setattr(self._store, attribute, wrapped._connection)

    def reset(self) -> None:
        self.calls.clear()
        self.statements = 0

    @property
    def trips(self) -> int:
        return sum(self.calls.values())


class _CountingConnection:
    """A store connection that counts the statements sent through it."""

    def __init__(self, connection: Any, counter: CountingStore) -> None:
        self._connection = connection
        self._counter = counter

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        self._counter.statements += 1
        return self._connection.execute(*args, **kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> Any:
        self._counter.statements += 1
        return self._connection.executemany(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)
