"""The core of a subscribe link's tap (``digests.signup``) on a real SQLite store: what a
payload names, what a tap adds, and what counts as a sign-up."""

from __future__ import annotations

import asyncio

import pytest

from digests import signup
from digests.links import SignupCount
from digests.models import Subscriber
from digests.signup import Joined, Refusal, Target
from digests.spelling import Spelling
from digests.store import Store
from tests.conftest import NOW


def draft(chat: str = "100") -> Subscriber:
    return Subscriber(id=0, platform="telegram", chat_id=chat, created_at=NOW)


async def joined(store: Store, payload: str, chat: str = "100") -> Joined:
    found = await store.find_subscriber("telegram", chat)
    done = await signup.tap(store, found or draft(chat), payload, now=NOW, by="telegram:1")
    assert isinstance(done, Joined), done
    return done


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("climate", Target("climate", ("climate",), "")),
        ("Climate", Target("climate", ("climate",), "")),  # code-shaped, no code: a slug
        ("AI-Frontier", Target("ai-frontier", ("ai-frontier",), "")),
        ("nope", Refusal.UNKNOWN),
        ("Zzzzzzz", Refusal.UNKNOWN),
        ("a" * 64, Refusal.UNKNOWN),
        ("a" * 65, Refusal.INVALID),
        ("", Refusal.INVALID),
        ("clim ate", Refusal.INVALID),
        ("\u202eclimate", Refusal.INVALID),
        ("climate\x00", Refusal.INVALID),
        ("climate\ud800", Refusal.INVALID),
        ("9" * 5000, Refusal.INVALID),
        ("clímate", Refusal.INVALID),
    ],
)
async def test_what_a_payload_names(
    categorised_store: Store, payload: str, expected: Target | Refusal
) -> None:
    assert await signup.resolve(categorised_store, payload) == expected


async def test_codes_live_retired_and_with_retired_categories(categorised_store: Store) -> None:
    store = categorised_store
    live = await store.add_link(["climate", "markets"], source="website", now=NOW)
    assert await signup.resolve(store, live.code) == Target(
        live.code, ("climate", "markets"), "website"
    )
    await store.retire_categories_except(["ai-frontier", "climate"], now=NOW)
    assert await signup.resolve(store, live.code) == Target(live.code, ("climate",), "website")
    await store.retire_categories_except(["ai-frontier"], now=NOW)
    assert await signup.resolve(store, live.code) is Refusal.RETIRED
    old = await store.add_link(["ai-frontier"], now=NOW)
    await store.retire_link(old.code, now=NOW)
    assert await signup.resolve(store, old.code) is Refusal.RETIRED


async def test_a_refused_tap_stores_nothing(categorised_store: Store) -> None:
    done = await signup.tap(categorised_store, draft(), "nope", now=NOW, by=None)
    assert done is Refusal.UNKNOWN
    assert await categorised_store.find_subscriber("telegram", "100") is None


async def test_a_first_subscription_is_a_signup_once(categorised_store: Store) -> None:
    store = categorised_store
    first = await joined(store, "climate")
    assert first.added == ("climate",) and first.signed_up
    assert first.subscriber.changed_by == "telegram:1"
    again = await joined(store, "climate")
    assert again.added == () and not again.signed_up
    other = await joined(store, "markets")  # another link, already a subscriber
    assert other.added == ("markets",) and not other.signed_up
    assert await store.signup_counts() == [SignupCount("climate", "", 1)]


async def test_a_subscriber_before_the_tap_is_no_signup(categorised_store: Store) -> None:
    store = categorised_store
    stored = await store.stored(draft())
    await store.subscribe(stored.id, ["markets"], now=NOW)
    done = await joined(store, "climate")
    assert done.added == ("climate",) and not done.signed_up
    assert sorted(done.subscriber.categories) == ["climate", "markets"]
    assert await store.signup_counts() == []


async def test_a_chat_that_left_everything_signs_up_once_ever(categorised_store: Store) -> None:
    store = categorised_store
    stored = await store.stored(draft())
    await store.subscribe(stored.id, ["markets"], now=NOW)
    await store.unsubscribe(stored.id, None, now=NOW)
    assert (await joined(store, "climate")).signed_up  # came back through the link
    await store.unsubscribe(stored.id, None, now=NOW)
    assert not (await joined(store, "markets")).signed_up  # one row per chat
    assert await store.signup_counts() == [SignupCount("climate", "", 1)]


async def test_fifty_taps_at_once_sign_up_once(categorised_store: Store) -> None:
    store = categorised_store
    link = await store.add_link(["climate", "markets"], source="print", now=NOW)
    results = await asyncio.gather(
        *(signup.tap(store, draft(), link.code, now=NOW, by=None) for _ in range(50))
    )
    done = [r for r in results if isinstance(r, Joined)]
    assert len(done) == 50
    assert sum(r.signed_up for r in done) == 1
    assert sorted(a for r in done for a in r.added) == ["climate", "markets"]
    assert await store.signup_counts() == [SignupCount(link.code, "print", 1)]


async def test_forget_deletes_the_signup_row(categorised_store: Store) -> None:
    store = categorised_store
    done = await joined(store, "climate")
    await store.forget_subscriber(done.subscriber.id)
    assert await store.signup_counts() == []
    assert (await joined(store, "climate")).signed_up  # a forgotten chat starts afresh


async def test_a_chat_forgotten_on_the_way_is_told(categorised_store: Store) -> None:
    store = categorised_store
    stored = await store.stored(draft())
    await store.forget_subscriber(stored.id)
    target = Target("climate", ("climate",), "")
    assert await signup.join(store, stored, target, now=NOW, by=None) is Refusal.GONE


def test_the_replies_name_the_command_and_never_the_payload() -> None:
    spelling = Spelling(prefix="/news ")
    for refusal in Refusal:
        text = signup.refusal_text("vi", refusal, spelling)
        assert text and "\n" not in text
    assert "/news categories" in signup.refusal_text("en", Refusal.RETIRED, spelling)


async def test_popular_zones(categorised_store: Store) -> None:
    store = categorised_store
    for chat, zone in [("1", "Asia/Tokyo"), ("2", "Asia/Tokyo"), ("3", "Europe/Paris")]:
        await store.upsert_subscriber("telegram", chat, now=NOW, timezone=zone)
    assert await store.popular_zones(2) == ["Asia/Tokyo", "Europe/Paris"]
