"""POST /api/breaking of new articles, concurrently (red-team finding 7): the pushes that
are refused (409) leave no article behind; the one that starts stores its article."""

from __future__ import annotations

import asyncio

import httpx

from digests.store import Store
from tests.bot.api.conftest import ADMIN_AUTH


async def push_all(admin: httpx.AsyncClient, round_: int) -> list[int]:
    bodies = [
        {
            "category": "climate",
            "url": f"https://push.org/r{round_}/a{n}",
            "title": f"Storm surge warning {n} for the coast",
            "confirm": True,
        }
        for n in range(1, 21)
    ]
    answers = await asyncio.gather(
        *(admin.post("/api/breaking", json=body, headers=ADMIN_AUTH) for body in bodies)
    )
    return sorted(a.status_code for a in answers)


async def test_refused_pushes_store_no_article(admin: httpx.AsyncClient, store: Store) -> None:
    assert await push_all(admin, 1) == [202] + [409] * 19
    assert (await store.counts())["articles"] == 1
    # The first push still goes out: every push of the second round is refused.
    assert await push_all(admin, 2) == [409] * 20
    assert (await store.counts())["articles"] == 1
    refused = [e for e in await store.audit_log() if e.outcome == "refused"]
    assert len(refused) == 39
