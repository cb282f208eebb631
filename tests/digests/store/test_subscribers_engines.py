"""Subscriber-side store methods whose SQL the two engines could read differently: a
prefix test (SQLite's LIKE ignores ASCII case and PostgreSQL's does not; GLOB exists on
SQLite only), arguments of Python types (an enum, booleans) and a two-value maximum.
Each test runs on SQLite and on PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

from datetime import timedelta

from digests.links import SignupCount
from digests.models import Frequency
from digests.store import Store
from tests.conftest import NOW


async def test_only_a_chat_that_refused_delivery_is_reactivated_and_once(store: Store) -> None:
    blocked = await store.upsert_subscriber("telegram", "1", now=NOW)
    shouted = await store.upsert_subscriber("telegram", "2", now=NOW)
    removed = await store.upsert_subscriber("discord", "3", now=NOW, guild_id="9")
    assert await store.deactivate(blocked.id, reason="blocked by the user: 403", now=NOW)
    # The reasons are compared as the adapters write them: a capitalised one is no match
    # (actions.reactivate's startswith() agrees), on both engines.
    assert await store.deactivate(shouted.id, reason="Blocked By The User", now=NOW)
    assert await store.deactivate(removed.id, reason="the bot was removed", now=NOW)
    later = NOW + timedelta(hours=1)
    assert await store.reactivate(blocked.id, now=later)
    assert not await store.reactivate(blocked.id, now=later)
    assert not await store.reactivate(shouted.id, now=later)
    assert not await store.reactivate(removed.id, now=later)
    again = await store.get_subscriber(blocked.id)
    assert again.active and again.inactive_reason is None and again.next_digest_at is None
    assert await store.inactive_by_platform() == {"telegram": 1, "discord": 1}


async def test_sign_up_totals_read_only_their_own_keys(categorised_store: Store) -> None:
    store = categorised_store
    # Link and source with LIKE's wildcards and GLOB's in them, and meta keys that share
    # all but the last character of the totals' prefix.
    for chat, link, source in [("1", "climate", "50%_off"), ("2", "climate", "*[x]")]:
        reader = await store.upsert_subscriber("telegram", chat, now=NOW)
        assert await store.record_signup(reader.id, link, source=source)
    await store.set_meta("signups_total", "7")
    await store.set_meta("signups_totalX", "7")
    await store.set_meta("Signups_total climate", "7")
    assert await store.signup_totals() == [
        SignupCount("climate", "*[x]", 1),
        SignupCount("climate", "50%_off", 1),
    ]


async def test_schedule_fields_of_python_types_are_stored_alike(store: Store) -> None:
    sub = await store.upsert_subscriber("telegram", "1", now=NOW)
    await store.update_subscriber(
        sub.id, now=NOW, frequency=Frequency.WEEKLY, weekly_day=2, paused=True
    )
    got = await store.get_subscriber(sub.id)
    assert (got.frequency, got.weekly_day, got.paused) == (Frequency.WEEKLY, 2, True)
    await store.update_subscriber(sub.id, now=NOW, paused=False, next_digest_at=NOW)
    assert await store.due_subscribers(NOW) == [await store.get_subscriber(sub.id)]
    assert await store.next_due_at() == NOW


async def test_the_cursor_keeps_the_larger_of_stored_and_new(store: Store) -> None:
    sub = await store.upsert_subscriber("telegram", "1", now=NOW)
    # Beyond 32 bits: the maximum compares 64-bit ids on both engines.
    for article_id in (3, 2**40, 7):
        await store.advance_cursor(sub.id, article_id=article_id, digest_at=NOW)
    assert (await store.get_subscriber(sub.id)).cursor_article_id == 2**40
