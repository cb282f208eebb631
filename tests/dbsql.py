"""Plain SQL against a test database on either engine, from synchronous test code: what
end-to-end tests use to look into the store of a ``digestbot run`` child process."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

from digests.dburl import PostgresUrl
from digests.store._engine import numbered


def run_sql(target: Path | PostgresUrl, query: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run one statement (``?`` placeholders) and return its rows as tuples; committed."""
    if not isinstance(target, PostgresUrl):
        with sqlite3.connect(target, timeout=10) as conn:
            return conn.execute(query, params).fetchall()
    result: list[list[tuple[Any, ...]]] = []
    failure: list[BaseException] = []

    async def go() -> None:
        import asyncpg  # the test tree's only direct user, on PostgreSQL runs only

        conn = await asyncpg.connect(target.dsn, timeout=10)
        try:
            rows = await conn.fetch(numbered(query), *params)
            result.append([tuple(row) for row in rows])
        finally:
            await conn.close()

    def thread() -> None:
        try:
            asyncio.run(go())
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    # A thread with its own event loop: the caller may be inside a running loop.
    worker = threading.Thread(target=thread)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return result[0]
