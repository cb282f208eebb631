"""``digests.schedule_actions``: /pause and /resume from a chat never stored (an adapter's
draft, id 0) say there is no digest yet, naming the platform's /categories, and store
nothing; a stored chat is paused and resumed as before."""

from __future__ import annotations

from digests import actions
from digests.models import Subscriber
from digests.spelling import Spelling
from digests.store import Store
from tests.conftest import NOW

DISCORD = Spelling(prefix="/news ")


def draft(chat_id: str) -> Subscriber:
    return Subscriber(id=0, platform="telegram", chat_id=chat_id, created_at=NOW)


async def test_a_new_chat_has_nothing_to_pause_or_resume(categorised_store: Store) -> None:
    store = categorised_store
    paused = await actions.CHANGES["pause"](store, draft("100"), [], NOW, Spelling(), "t:1")
    resumed = await actions.CHANGES["resume"](store, draft("101"), [], NOW, DISCORD, "t:1")
    assert paused.startswith("There is no digest to pause yet") and "/categories" in paused
    assert "no digest to resume yet" in resumed and "/news categories" in resumed
    assert "next digest" not in resumed
    assert await store._fetchall("SELECT id FROM subscribers") == []


async def test_a_stored_chat_is_paused_and_resumed(categorised_store: Store) -> None:
    store = categorised_store
    stored = await store.upsert_subscriber("telegram", "100", now=NOW)
    await store.subscribe(stored.id, ["climate"], now=NOW)
    assert (await actions.pause(store, stored, now=NOW, spelling=Spelling())).startswith("Paused")
    found = await store.find_subscriber("telegram", "100")
    assert found is not None and found.paused
    assert (await actions.resume(store, found, now=NOW)).startswith("Resumed")
