"""A private chat flooding with presses and commands mixed still gets its one "slow down"
notice a minute: presses and commands spend separate notice keys (a press's refusal is
its own answer, so it must not use up the notice meant for the commands)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.telegram.flood import ChatLanes
from digests.pacing import Pacer, telegram_policy
from digests.store import Store
from tests.bot.telegram.test_flood import SLOW_DOWN, Harness, harness
from tests.fakes import telegram_updates as tu


@pytest.fixture
async def production(categorised_store: Store, local_server: Any) -> AsyncIterator[Harness]:
    """Paced and flood-limited as in production."""
    pacer = Pacer({"telegram": telegram_policy(30)})
    async for h in harness(categorised_store, local_server, pacer, ChatLanes()):
        yield h


async def test_a_mixed_flood_still_shows_the_notice_once(production: Harness) -> None:
    h = production
    presses = [f"p{i}" for i in range(200)]
    await h.send(
        *(
            tu.press("cat:climate", chat_id=100, user_id=100, message_id=1, query_id=query)
            for query in presses
        )
    )
    await h.send(*(tu.command("/help", chat_id=100) for _ in range(200)))
    await h.until(lambda: set(presses) <= h.answered(), timeout=20)
    await h.until(lambda: any(SLOW_DOWN in text for text in h.texts(100)), timeout=20)
    assert sum(SLOW_DOWN in text for text in h.texts(100)) == 1
