"""Pending breaking pushes (a preview waiting for its admin's confirmation), kept in the
store on both engines: confirmed only by that admin, in time, once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digests import breaking
from digests.store import Store
from tests.conftest import NOW


# (who presses, seconds after the preview, token pressed) → whether the push is confirmed
@pytest.mark.parametrize(
    ("admin", "after_s", "token", "confirmed"),
    [
        (7, 0, "own", True),
        (7, 599, "own", True),
        (7, 600, "own", True),  # the last second still counts
        (7, 601, "own", False),  # expired
        (8, 10, "own", False),  # another admin
        (7, 10, "no", False),  # the cancel button's "token"
        (7, 10, "unknown", False),
    ],
)
async def test_a_pending_push_is_confirmed_only_by_its_admin_in_time(
    store: Store, admin: int, after_s: int, token: str, confirmed: bool
) -> None:
    pending = breaking.PendingPushes(store, "telegram")
    own = await pending.add("climate", 42, 7, now=NOW)
    taken = await pending.take(
        own if token == "own" else token, admin, now=NOW + timedelta(seconds=after_s)
    )
    if confirmed:
        assert taken == breaking.PendingPush("climate", 42, 7, NOW + timedelta(seconds=600))
    else:
        assert taken is None
    assert breaking.PUSH_CONFIRM_SECONDS == 600


async def test_a_pending_push_token_is_spent_only_by_its_admin(store: Store) -> None:
    pending = breaking.PendingPushes(store, "telegram")
    token = await pending.add("climate", 42, 7, now=NOW)
    other = await pending.add("markets", 43, 7, now=NOW)
    assert token != other and len(token) <= 40 and await pending.count(now=NOW) == 2
    assert await pending.take(token, 8, now=NOW) is None  # another admin's press is refused
    expected = ("climate", 42, 7, NOW + timedelta(seconds=600))
    assert await pending.peek(token, now=NOW) == expected
    assert await pending.take(token, 7, now=NOW) == expected
    assert await pending.take(token, 7, now=NOW) is None
    assert await pending.take(other, 7, now=NOW) == ("markets", 43, 7, expected[3])
    assert await pending.take(other, 7, now=NOW) is None  # once only


async def test_pending_pushes_drop_expired_ones_when_adding(store: Store) -> None:
    pending = breaking.PendingPushes(store, "telegram", ttl=timedelta(seconds=60))
    old = await pending.add("climate", 1, 7, now=NOW)
    await pending.add("climate", 2, 7, now=NOW + timedelta(seconds=61))
    assert await store.purge_pending_pushes(now=NOW) == 0  # the add already dropped it
    assert await pending.count(now=NOW) == 1  # only the new one, even seen from before
    assert await pending.take(old, 7, now=NOW) is None
