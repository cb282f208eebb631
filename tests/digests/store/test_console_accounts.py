"""Console accounts in the store (both engines): concurrent duplicates, removal ends the
account's sessions; a name that reads like a taken one is refused."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from digests.store import ConsoleUserExists, Store
from tests.conftest import NOW


async def test_concurrent_adds_of_one_name_one_wins(store: Store) -> None:
    results = await asyncio.gather(
        *(
            store.add_console_user(
                "ed", role="editor", password_hash="x", must_change=True, now=NOW
            )
            for _ in range(4)
        ),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, ConsoleUserExists) for r in results if isinstance(r, BaseException))


async def test_removing_an_account_ends_its_sessions(store: Store) -> None:
    user = await store.add_console_user(
        "ed", role="editor", password_hash="x", must_change=False, now=NOW
    )
    later = NOW + timedelta(hours=1)
    await store.start_console_session(user.id, "h1", "c1", now=NOW, expires_at=later)
    assert await store.console_session("h1", now=NOW) is not None
    assert await store.remove_console_user("ed")
    assert await store.console_session("h1", now=NOW) is None
    assert not await store.remove_console_user("ed")


@pytest.mark.parametrize("twin", ["Ed", "ED", "\uff25\uff44", "e\u0064"])
async def test_a_name_that_reads_like_a_taken_one_is_refused(store: Store, twin: str) -> None:
    await store.add_console_user("ed", role="editor", password_hash="x", must_change=False, now=NOW)
    with pytest.raises(ConsoleUserExists, match="ed"):
        await store.add_console_user(
            twin, role="admin", password_hash="x", must_change=False, now=NOW
        )
    assert [user.name for user in await store.console_users()] == ["ed"]


async def test_a_different_name_is_not_a_twin(store: Store) -> None:
    await store.add_console_user("ed", role="editor", password_hash="x", must_change=False, now=NOW)
    await store.add_console_user(
        "edna", role="editor", password_hash="x", must_change=False, now=NOW
    )
    assert [user.name for user in await store.console_users()] == ["ed", "edna"]
