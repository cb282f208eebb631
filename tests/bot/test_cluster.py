"""The roles loop (``bot.cluster``): its decisions as tables, then two processes' roles on
one database (a SQLite file, and PostgreSQL), each process a Store of its own and the
rounds driven one at a time under a fake clock: nothing here waits for a real lease."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.cluster import (
    DATABASE,
    LEADER,
    Roles,
    join,
    leave,
    retry_delay,
    role_changes,
    sender_role,
    still_held,
    wanted_roles,
)
from bot.supervise import Liveness
from digests.dburl import PostgresUrl
from digests.settings import SettingsError
from digests.store import Store
from digests.timeutil import FakeClock
from tests.conftest import NOW

TTL = timedelta(seconds=15)


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0.5), (1, 0.5), (2, 1.0), (3, 2.0), (6, 16.0), (7, 30.0), (50, 30.0)],
)
def test_retries_back_off_from_half_a_second_to_thirty(failures: int, seconds: float) -> None:
    assert retry_delay(failures) == seconds


def test_the_leader_is_wanted_first_and_each_platform_once() -> None:
    assert wanted_roles(["telegram", "console", "telegram"]) == [
        "leader",
        "sender:console",
        "sender:telegram",
    ]
    assert wanted_roles([]) == ["leader"]


@pytest.mark.parametrize(
    ("before", "after", "gained", "lost"),
    [
        ({"leader"}, {"leader"}, [], []),
        (set(), {"sender:telegram", "leader"}, ["leader", "sender:telegram"], []),
        ({"leader", "sender:telegram"}, set(), [], ["leader", "sender:telegram"]),
        ({"leader"}, {"sender:telegram"}, ["sender:telegram"], ["leader"]),
    ],
)
def test_role_changes(
    before: set[str], after: set[str], gained: list[str], lost: list[str]
) -> None:
    assert role_changes(before, after) == (gained, lost)


@pytest.mark.parametrize(
    ("confirmed", "now", "held"),
    [
        (None, NOW, False),
        (NOW, NOW, True),
        (NOW, NOW + TTL - timedelta(microseconds=1), True),
        (NOW, NOW + TTL, False),
    ],
)
def test_a_role_runs_out_with_its_lease(
    confirmed: datetime | None, now: datetime, held: bool
) -> None:
    assert still_held(confirmed, now, TTL) is held


@pytest.fixture(params=["sqlite", "postgresql"])
async def two_stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Store, Store]]:
    """Two processes' stores on one database."""
    if request.param == "postgresql":
        target: Path | PostgresUrl = request.getfixturevalue("postgres_url")
    else:
        target = tmp_path / "shared.db"
    first = await Store.open(target)
    second = await Store.open(target)
    try:
        yield first, second
    finally:
        await second.close()
        await first.close()


class Events:
    """What the callbacks were told, in order."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def gain(self, role: str) -> None:
        self.seen.append(f"+{role}")

    async def loss(self, role: str) -> None:
        self.seen.append(f"-{role}")


def process(store: Store, name: str, clock: FakeClock, events: Events, **kw: object) -> Roles:
    return Roles(
        store,
        name,
        ttl=TTL,
        clock=clock,
        platforms=lambda: ["telegram"],
        on_gain=events.gain,
        on_loss=events.loss,
        **kw,  # type: ignore[arg-type]
    )


async def test_one_leader_and_a_take_over_once_the_leader_stops_renewing(
    two_stores: tuple[Store, Store],
) -> None:
    clock = FakeClock(NOW)
    a_events, b_events = Events(), Events()
    a = process(two_stores[0], "a", clock, a_events, in_flight=lambda: 3)
    b = process(two_stores[1], "b", clock, b_events)
    assert await a.step() == TTL.total_seconds() / 3
    await b.step()
    assert a.held == {LEADER, sender_role("telegram")} and b.held == frozenset()
    assert a.sending_platforms() == {"telegram"} and b.sending_platforms() == set()
    assert a_events.seen == ["+leader", "+sender:telegram"] and b_events.seen == []
    # Renewed in time, the roles stay where they are however long that goes on.
    for _ in range(6):
        clock.advance(TTL / 3)
        await a.step()
        await b.step()
    assert a.holds(LEADER) and not b.holds(LEADER)
    rows = {p.name: p for p in await two_stores[1].processes()}
    assert set(rows) == {"a", "b"}
    assert rows["a"].roles == (LEADER, sender_role("telegram")) and rows["a"].in_flight == 3
    assert rows["b"].roles == () and rows["b"].heartbeat_at == clock.now()
    # a stops renewing (it hangs, or died): b takes over once the lease has run out, and
    # not before.
    clock.advance(TTL - timedelta(seconds=1))
    await b.step()
    assert b.held == frozenset()
    clock.advance(timedelta(seconds=1))
    assert not a.holds(LEADER), "a stalled process must not act on a lease that ran out"
    await b.step()
    assert b.held == {LEADER, sender_role("telegram")}
    assert b_events.seen == ["+leader", "+sender:telegram"]
    # a comes back: it is told it lost its roles, and does not take them back.
    await a.step()
    assert a.held == frozenset()
    assert a_events.seen[-2:] == ["-leader", "-sender:telegram"]
    leases = await two_stores[0].leases(now=clock.now())
    assert {role: holder for role, (holder, _) in leases.items()} == {
        LEADER: "b",
        sender_role("telegram"): "b",
    }


async def test_exactly_one_leader_among_processes_starting_together(
    two_stores: tuple[Store, Store],
) -> None:
    clock = FakeClock(NOW)
    roles = [
        process(store, name, clock, Events()) for store, name in zip(two_stores, "xy", strict=True)
    ]
    for _ in range(4):
        for each in reversed(roles):
            await each.step()
        assert sum(each.holds(LEADER) for each in roles) == 1
        clock.advance(TTL / 3)


class Flaky:
    """A store that can be made to fail, as a database that went away does."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.down = False

    async def hold_lease(self, *args: object, **kw: object) -> bool:
        if self.down:
            raise sqlite3.OperationalError("database connection lost: ConnectionResetError")
        return await self.store.hold_lease(*args, **kw)  # type: ignore[arg-type]

    async def beat(self, *args: object, **kw: object) -> None:
        await self.store.beat(*args, **kw)  # type: ignore[arg-type]


async def test_losing_the_database_drops_every_role_retries_with_backoff_and_shows(
    tmp_path: Path,
) -> None:
    clock = FakeClock(NOW)
    events = Events()
    liveness = Liveness()
    store = await Store.open(tmp_path / "lost.db")
    try:
        flaky = Flaky(store)
        roles = process(flaky, "a", clock, events, liveness=liveness)  # type: ignore[arg-type]
        await roles.step()
        assert roles.held == {LEADER, sender_role("telegram")}
        flaky.down = True
        delays = [await roles.step() for _ in range(3)]
        assert delays == [0.5, 1.0, 2.0]
        assert roles.held == frozenset() and not roles.sending_platforms()
        assert events.seen == [
            "+leader",
            "+sender:telegram",
            "-leader",
            "-sender:telegram",
        ]
        problem = liveness.problem()
        assert problem is not None and problem.startswith(f"{DATABASE} is down")
        assert "connection lost" in problem
        # Back within the lease: the roles are still this process's, and it takes them again.
        flaky.down = False
        assert await roles.step() == TTL.total_seconds() / 3
        assert roles.held == {LEADER, sender_role("telegram")}
        assert liveness.problem() is None
        assert events.seen[-2:] == ["+leader", "+sender:telegram"]
    finally:
        await store.close()


async def test_a_failing_callback_does_not_stop_the_rounds(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "cb.db")

    async def broken(role: str) -> None:
        raise RuntimeError("boom")

    try:
        roles = Roles(
            store, "a", ttl=TTL, clock=FakeClock(NOW), platforms=lambda: [], on_gain=broken
        )
        assert await roles.step() == TTL.total_seconds() / 3
        assert roles.held == {LEADER}
    finally:
        await store.close()


async def test_a_postgresql_server_out_of_reach_drops_the_roles_until_it_is_back(
    postgres_url: PostgresUrl,
) -> None:
    clock = FakeClock(NOW)
    events, liveness = Events(), Liveness()
    store, admin = await Store.open(postgres_url), await Store.open(postgres_url)
    try:
        roles = process(store, "a", clock, events, liveness=liveness)
        await roles.step()
        assert roles.holds(LEADER)
        # The server ends the connection, and connecting again fails (it is out of reach).
        connection = store._db
        # The write connection's (reads have a connection of their own).
        pid = (await (await store._db.execute("SELECT pg_backend_pid()")).fetchone())[0]
        await admin._fetchone("SELECT pg_terminate_backend(CAST(? AS INTEGER))", (pid,))
        for _ in range(1000):
            if connection.closed:  # type: ignore[attr-defined]
                break
            await asyncio.sleep(0.01)
        assert connection.closed, "the server never ended the connection"  # type: ignore[attr-defined]
        reconnect = connection._connect  # type: ignore[attr-defined]

        async def unreachable() -> None:
            raise ConnectionRefusedError(111, "Connection refused")

        connection._connect = unreachable  # type: ignore[attr-defined]
        assert [await roles.step() for _ in range(2)] == [0.5, 1.0]
        assert roles.held == frozenset() and events.seen[-2:] == ["-leader", "-sender:telegram"]
        assert (liveness.problem() or "").startswith(f"{DATABASE} is down")
        assert await store.health() is not None
        # Reachable again: the next round connects, and the leases (still this process's)
        # are taken again.
        connection._connect = reconnect  # type: ignore[attr-defined]
        clock.advance(timedelta(seconds=1))
        await roles.step()
        assert roles.holds(LEADER) and liveness.problem() is None
        assert await store.health() is None
    finally:
        await admin.close()
        await store.close()


async def test_a_name_a_live_process_uses_is_refused_until_its_heartbeat_is_old(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "names.db")
    try:
        await store.beat("a", roles=[LEADER], in_flight=0, started_at=NOW, now=NOW)
        with pytest.raises(SettingsError, match=r"PROCESS_NAME a is in use .* 5 s ago"):
            await join(store, "a", now=NOW + timedelta(seconds=5), ttl=TTL)
        assert await join(store, "b", now=NOW + timedelta(seconds=5), ttl=TTL) == 0
        # Silent for a whole lease: that process died, and its name may start again.
        assert await join(store, "a", now=NOW + TTL, ttl=TTL) == 0
        rows = {p.name: p for p in await store.processes()}
        assert rows["a"].heartbeat_at == NOW + TTL and rows["a"].roles == ()
        await leave(store, "a", now=NOW + TTL)
        assert [p.name for p in await store.processes()] == ["b"]
    finally:
        await store.close()
