"""Opening a PostgreSQL database the way read-only commands do."""

from __future__ import annotations

import pytest

from digests.dburl import PostgresUrl
from digests.store import Store, StoreError
from tests import pg_server


async def test_a_read_only_open_of_an_empty_database_refuses_instead_of_migrating(
    postgres_server: pg_server.PostgresServer,
) -> None:
    name = postgres_server.create_database()
    url = PostgresUrl(postgres_server.url(name))
    with pytest.raises(StoreError, match="no digestbot database .*digestbot init"):
        await Store.open(url, create=False)
    assert postgres_server.psql("SELECT to_regclass('schema_version') IS NULL", name).strip() == "t"
    store = await Store.open(url)  # init creates it
    await store.close()
    again = await Store.open(url, create=False)
    assert await again.schema_version() > 0
    await again.close()
