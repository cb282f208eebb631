"""Subscribe-link codes and sign-ups in the store."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from digests.links import CODE, payload_kind
from digests.store import NotFound, Store
from tests.conftest import NOW


async def test_a_code_names_live_categories_and_is_never_a_slug(
    categorised_store: Store,
) -> None:
    link = await categorised_store.add_link(
        ["climate", "ai-frontier", "climate"], source="website", now=NOW
    )
    assert CODE.fullmatch(link.code) and payload_kind(link.code) == "code"
    assert link.categories == ("climate", "ai-frontier")
    assert await categorised_store.get_link(link.code) == link
    with pytest.raises(NotFound, match="unknown category: nope"):
        await categorised_store.add_link(["climate", "nope"], now=NOW)


async def test_a_retired_code_is_kept_and_listed_only_when_asked(
    categorised_store: Store,
) -> None:
    kept = await categorised_store.add_link(["climate"], now=NOW)
    gone = await categorised_store.add_link(["markets"], now=NOW)
    retired = await categorised_store.retire_link(gone.code, now=NOW + timedelta(days=1))
    again = await categorised_store.retire_link(gone.code, now=NOW + timedelta(days=2))
    assert retired.retired_at == again.retired_at == NOW + timedelta(days=1)
    assert [link.code for link in await categorised_store.list_links()] == [kept.code]
    assert len(await categorised_store.list_links(retired=True)) == 2
    with pytest.raises(NotFound):
        await categorised_store.retire_link("Nosuch1", now=NOW)


async def test_a_chat_signs_up_once_and_forgetting_it_drops_the_row(
    categorised_store: Store,
) -> None:
    store = categorised_store
    reader = await store.upsert_subscriber("telegram", "7", now=NOW)
    other = await store.upsert_subscriber("telegram", "8", now=NOW)
    results = await asyncio.gather(*(store.record_signup(reader.id, "climate") for _ in range(50)))
    assert results.count(True) == 1
    assert await store.record_signup(other.id, "K2abcde", source="website")
    counts = {(c.link, c.source): c.count for c in await store.signup_counts()}
    assert counts == {("climate", ""): 1, ("K2abcde", "website"): 1}
    await store.forget_subscriber(reader.id)
    assert [c.link for c in await store.signup_counts()] == ["K2abcde"]


async def test_a_sign_up_keeps_which_link_and_nothing_more(categorised_store: Store) -> None:
    # The row's own columns, read the same way on both engines (no PRAGMA on PostgreSQL).
    reader = await categorised_store.upsert_subscriber("telegram", "7", now=NOW)
    assert await categorised_store.record_signup(reader.id, "climate", source="site")
    rows = await categorised_store._fetchall("SELECT * FROM signups")
    assert len(rows) == 1
    assert set(rows[0].keys()) == {"subscriber_id", "link", "source"}


async def test_a_code_that_is_taken_is_drawn_again_in_the_same_transaction(
    categorised_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A collision must not end the transaction: PostgreSQL refuses every statement after a
    # failed one in it, so the retry may not rely on a refused INSERT.
    first = await categorised_store.add_link(["climate"], now=NOW)
    drawn = iter([first.code, first.code, "Kfresh1"])
    monkeypatch.setattr("digests.store._links.new_code", lambda: next(drawn))
    second = await categorised_store.add_link(["markets"], source="print", now=NOW)
    assert second.code == "Kfresh1"
    assert await categorised_store.get_link("Kfresh1") == second
    assert await categorised_store.get_link(first.code) == first
