"""/api/stats lists the crowds of the next hours, as ``digestbot stats`` prints them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from bot.api import Api
from digests.punctuality import PACE_SHARE
from digests.render import Renderer
from digests.settings import Settings
from digests.stats import CROWDS_SHOWN
from digests.store import Store
from digests.timeutil import FakeClock
from tests.bot.api.conftest import ADMIN_AUTH, ADMIN_TOKEN
from tests.conftest import NOW

BASE = Settings(api_token=ADMIN_TOKEN)
# Planned at 0.085 messages/s.
SLOW = replace(BASE, delivery=replace(BASE.delivery, telegram_max_rate=0.085 / PACE_SHARE))
M = timedelta(minutes=1)


async def stats(store: Store, local_server, settings: Settings) -> dict:  # type: ignore[no-untyped-def, type-arg]
    api = Api(store, Renderer(), settings, FakeClock(NOW))
    base = await local_server(api.app())
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.get("/api/stats", headers=ADMIN_AUTH)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


async def test_api_stats_lists_the_crowds_ahead(store: Store, local_server) -> None:  # type: ignore[no-untyped-def]
    assert (await stats(store, local_server, SLOW))["forecast"] == {
        "hours": 6,
        "crowds": [],
        "more": 0,
    }
    # Nine readers at 13:00 (0.085 messages/s: 106 s), one alone at 13:20: no crowd.
    for chat in range(9):
        sub = await store.upsert_subscriber("telegram", f"c{chat}", now=NOW)
        await store.update_subscriber(sub.id, now=NOW, next_digest_at=NOW + 60 * M)
    sub = await store.upsert_subscriber("telegram", "alone", now=NOW)
    await store.update_subscriber(sub.id, now=NOW, next_digest_at=NOW + 80 * M)
    forecast = (await stats(store, local_server, SLOW))["forecast"]
    assert forecast == {
        "hours": 6,
        "crowds": [
            {
                "platform": "telegram",
                "due_at": "2026-11-27T13:00:00+00:00",
                "readers": 9,
                "lead_seconds": 78,
                "latest_arrival_seconds": 28,
                "on_time": True,
            }
        ],
        "more": 0,
    }
    assert (await stats(store, local_server, BASE))["forecast"]["crowds"] == []


async def test_api_stats_shows_a_bounded_number_of_crowds(
    store: Store,
    local_server,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("digests.stats.CROWDS_SHOWN", 5)
    # A crowd every ten minutes for six hours: more than are shown, the soonest first.
    for minute in range(0, 360, 10):
        for chat in range(9):
            sub = await store.upsert_subscriber("telegram", f"{minute}-{chat}", now=NOW)
            await store.update_subscriber(sub.id, now=NOW, next_digest_at=NOW + (minute + 1) * M)
    forecast = (await stats(store, local_server, SLOW))["forecast"]
    assert (len(forecast["crowds"]), forecast["more"]) == (5, 31)
    assert [c["due_at"][11:16] for c in forecast["crowds"]] == [
        "12:01",
        "12:11",
        "12:21",
        "12:31",
        "12:41",
    ]
    assert CROWDS_SHOWN == 50
