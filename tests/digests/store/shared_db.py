"""One database opened by two Store objects, as two processes open it: the same SQLite
file, or the same PostgreSQL database. Tests of what must hold across processes take the
database from a fixture parametrised over ``ENGINES`` (``target_for``) and open it twice
(``two_stores``); each store has its own connection, so their writes really race."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from digests.dburl import PostgresUrl
from digests.store import Store

ENGINES = ["sqlite", "postgresql"]


def target_for(request: pytest.FixtureRequest, tmp_path: Path) -> Path | PostgresUrl:
    """The database of a test parametrised over ENGINES: a file in ``tmp_path``, or a
    fresh PostgreSQL database (the ``postgres_url`` fixture)."""
    if request.param == "postgresql":
        url: PostgresUrl = request.getfixturevalue("postgres_url")
        return url
    return tmp_path / "shared.db"


@contextlib.asynccontextmanager
async def two_stores(target: Path | PostgresUrl) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores on ``target``, closed afterwards."""
    first = await Store.open(target)
    try:
        second = await Store.open(target)
        try:
            yield first, second
        finally:
            await second.close()
    finally:
        await first.close()
