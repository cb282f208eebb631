"""The console's failed log-in counts in the store, shared by every process (both engines)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from digests.login_throttle import FORGET_AFTER
from digests.store import Store
from tests.conftest import NOW

KEY = "account:ed"
M = timedelta(minutes=1)


async def test_the_fifth_failure_locks_for_a_minute(store: Store) -> None:
    for _ in range(4):
        assert await store.note_console_login_failure({KEY: 5}, now=NOW) is None
    assert await store.console_login_lock([KEY], now=NOW) is None
    assert await store.note_console_login_failure({KEY: 5}, now=NOW) == NOW + M
    assert await store.console_login_lock([KEY, "address:x"], now=NOW) == NOW + M
    assert await store.console_login_lock([KEY], now=NOW + M) is None


async def test_the_next_failure_doubles_the_lock(store: Store) -> None:
    for _ in range(5):
        await store.note_console_login_failure({KEY: 5}, now=NOW)
    later = NOW + 2 * M
    assert await store.note_console_login_failure({KEY: 5}, now=later) == later + 2 * M


async def test_each_key_counts_to_its_own_limit(store: Store) -> None:
    limits = {KEY: 5, "address:10.0.0.1": 20}
    for _ in range(5):
        await store.note_console_login_failure(limits, now=NOW)
    assert await store.console_login_lock(["address:10.0.0.1"], now=NOW) is None
    assert await store.console_login_lock([KEY], now=NOW) == NOW + M


async def test_a_right_password_clears_the_count(store: Store) -> None:
    for _ in range(4):
        await store.note_console_login_failure({KEY: 5}, now=NOW)
    await store.clear_console_logins(KEY)
    assert await store.note_console_login_failure({KEY: 5}, now=NOW) is None


async def test_a_quiet_day_starts_the_count_again(store: Store) -> None:
    for _ in range(4):
        await store.note_console_login_failure({KEY: 5}, now=NOW)
    assert await store.note_console_login_failure({KEY: 5}, now=NOW + FORGET_AFTER) is None


async def test_concurrent_failures_are_all_counted(store: Store) -> None:
    await asyncio.gather(*(store.note_console_login_failure({KEY: 5}, now=NOW) for _ in range(5)))
    assert await store.console_login_lock([KEY], now=NOW) == NOW + M
