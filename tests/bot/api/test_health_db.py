"""/healthz answers 503 while the store cannot reach its PostgreSQL server (stopped under
the running API), and writes are refused meanwhile; /api/stats lists the processes
sharing the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from bot.api import Api
from bot.api.health import public_problem
from digests.dburl import PostgresUrl
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests import pg_server
from tests.bot.api.conftest import ADMIN_AUTH, ADMIN_TOKEN
from tests.conftest import NOW

PASSWORD = "health-check-password-0123"


@pytest.fixture
async def stoppable() -> AsyncIterator[tuple[pg_server.PostgresServer, Store]]:
    """A throwaway PostgreSQL server of this test's own (the test stops it) and a store
    opened on it, through a URL with a password (the server trusts any)."""
    server = pg_server.start()
    try:
        url = server.url(server.create_database()).replace("postgres@", f"postgres:{PASSWORD}@")
        store = await Store.open(PostgresUrl(url))
        try:
            yield server, store
        finally:
            await store.close()
    finally:
        server.stop()


async def test_healthz_is_503_while_the_database_server_is_down(
    stoppable: tuple[pg_server.PostgresServer, Store],
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    server, store = stoppable
    api = Api(store, Renderer(), Settings(api_token=ADMIN_TOKEN), FakeClock(NOW))
    base = await local_server(api.app())
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        server.stop()
        health = await client.get("/healthz")
        assert health.status_code == 503, health.text
        body = health.json()
        assert body["status"] == "unavailable" and "database does not answer" in body["error"]
        assert PASSWORD not in health.text
        # /healthz is public: the database server's address is not shown.
        assert f"'127.0.0.1', {server.port}" not in health.text
        assert str(server.port) not in body["error"]
        # Still down on the next ask (no answer is remembered as good), and no write is
        # accepted meanwhile.
        assert (await client.get("/healthz")).status_code == 503
        refused = await client.post(
            "/api/breaking", headers=ADMIN_AUTH, json={"category": "x", "url": "https://a.example"}
        )
        assert refused.status_code == 503 and PASSWORD not in refused.text


async def test_healthz_is_ok_on_a_reachable_postgresql(
    postgres_url: PostgresUrl,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    store = await Store.open(postgres_url)
    try:
        api = Api(store, Renderer(), Settings(api_token=ADMIN_TOKEN), FakeClock(NOW))
        base = await local_server(api.app())
        async with httpx.AsyncClient(base_url=base) as client:
            assert (await client.get("/healthz")).status_code == 200
    finally:
        await store.close()


async def test_api_stats_lists_the_processes(admin: httpx.AsyncClient, store: Store) -> None:
    assert (await admin.get("/api/stats", headers=ADMIN_AUTH)).json()["processes"] == []
    await store.beat(
        "web-1:41",
        roles=("leader", "sender:telegram"),
        in_flight=3,
        started_at=NOW - timedelta(hours=1),
        now=NOW - timedelta(seconds=4),
    )
    await store.beat(
        "web-2:77",
        roles=(),
        in_flight=0,
        started_at=NOW - timedelta(hours=2),
        now=NOW - timedelta(minutes=5),
    )
    stats = (await admin.get("/api/stats", headers=ADMIN_AUTH)).json()
    assert stats["processes"] == [
        {
            "name": "web-1:41",
            "roles": ["leader", "sender:telegram"],
            "in_flight": 3,
            "started_at": "2026-11-27T11:00:00+00:00",
            "heartbeat_at": "2026-11-27T11:59:56+00:00",
            "seconds_since_heartbeat": 4,
            "stale": False,
        },
        {
            "name": "web-2:77",
            "roles": [],
            "in_flight": 0,
            "started_at": "2026-11-27T10:00:00+00:00",
            "heartbeat_at": "2026-11-27T11:55:00+00:00",
            "seconds_since_heartbeat": 300,
            "stale": True,  # silent longer than LEADER_LEASE_SECONDS (15 s by default)
        },
    ]


@pytest.mark.parametrize(
    ("problem", "shown"),
    [
        (
            "database does not answer: PgOperationalError: database connection lost: "
            "ConnectionRefusedError: [Errno 111] Connect call failed ('10.0.0.5', 5432)",
            "database does not answer: PgOperationalError: database connection lost: "
            "ConnectionRefusedError: [Errno 111] Connect call failed",
        ),
        ("failed ('::1', 5432, 0, 0) and more", "failed and more"),
        ("the database file was replaced since it was opened; restart digestbot", None),
    ],
)
def test_the_public_problem_names_no_address(problem: str, shown: str | None) -> None:
    assert public_problem(problem) == (shown or problem)
