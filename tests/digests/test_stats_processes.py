"""The processes sharing a database as ``digestbot stats`` and ``/api/stats`` show them:
how long each has been silent, and whether that is longer than a live process stays quiet."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digests.stats import process_views, processes_of
from digests.store import Store
from digests.store._processes import ProcessInfo
from tests.conftest import NOW

STALE_AFTER = timedelta(seconds=15)


def info(name: str, heartbeat_ago: timedelta, *roles: str, in_flight: int = 0) -> ProcessInfo:
    return ProcessInfo(name, roles, in_flight, NOW - timedelta(hours=1), NOW - heartbeat_ago)


@pytest.mark.parametrize(
    ("ago", "silent", "stale"),
    [
        (timedelta(0), timedelta(0), False),
        (timedelta(seconds=15), timedelta(seconds=15), False),  # at the limit: still live
        (timedelta(seconds=16), timedelta(seconds=16), True),
        (timedelta(days=2), timedelta(days=2), True),
        # A heartbeat ahead of this machine's clock (another machine's clock runs fast).
        (-timedelta(seconds=30), timedelta(0), False),
    ],
)
def test_silence_and_staleness(ago: timedelta, silent: timedelta, stale: bool) -> None:
    (view,) = process_views([info("a", ago)], now=NOW, stale_after=STALE_AFTER)
    assert (view.silent, view.stale) == (silent, stale)


def test_views_keep_order_roles_and_sends_in_flight() -> None:
    views = process_views(
        [
            info("b", timedelta(seconds=2), "leader", "sender:telegram", in_flight=7),
            info("a", timedelta(minutes=3)),
        ],
        now=NOW,
        stale_after=STALE_AFTER,
    )
    assert [(v.name, v.roles, v.in_flight, v.stale) for v in views] == [
        ("b", ("leader", "sender:telegram"), 7, False),
        ("a", (), 0, True),
    ]
    assert views[0].as_json() == {
        "name": "b",
        "roles": ["leader", "sender:telegram"],
        "in_flight": 7,
        "started_at": "2026-11-27T11:00:00+00:00",
        "heartbeat_at": "2026-11-27T11:59:58+00:00",
        "seconds_since_heartbeat": 2,
        "stale": False,
    }


async def test_processes_of_reads_the_heartbeat_rows(store: Store) -> None:
    assert await processes_of(store, now=NOW, stale_after=STALE_AFTER) == []
    await store.beat("old", roles=(), in_flight=0, started_at=NOW, now=NOW - timedelta(hours=1))
    await store.beat("new", roles=("leader",), in_flight=2, started_at=NOW, now=NOW)
    views = await processes_of(store, now=NOW, stale_after=STALE_AFTER)
    assert [(v.name, v.roles, v.in_flight, v.stale) for v in views] == [
        ("new", ("leader",), 2, False),
        ("old", (), 0, True),
    ]
    await store.end_process("new", now=NOW)
    assert [v.name for v in await processes_of(store, now=NOW, stale_after=STALE_AFTER)] == ["old"]
