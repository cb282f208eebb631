"""The console keeps an admin even when two admins demote or remove each
other at the same moment (each passes the "not yourself" check)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.bot.web.conftest import Account, csrf_of, sign_in


@pytest.fixture
async def second(web: httpx.AsyncClient, account: Account) -> AsyncIterator[httpx.AsyncClient]:
    """Two admins, each signed in in a browser of their own: ``web`` is "a1"."""
    await account("a1", "admin")
    await account("a2", "admin")
    async with httpx.AsyncClient(base_url=web.base_url) as other:
        assert (await sign_in(web, "a1")).status_code == 303
        assert (await sign_in(other, "a2")).status_code == 303
        yield other


async def _at_once(
    web: httpx.AsyncClient, other: httpx.AsyncClient, path: str, **fields: str
) -> list[int]:
    mine = csrf_of((await web.get("/console/accounts")).text)
    theirs = csrf_of((await other.get("/console/accounts")).text)
    answers = await asyncio.gather(
        web.post(path, data={"csrf": mine, "name": "a2", **fields}),
        other.post(path, data={"csrf": theirs, "name": "a1", **fields}),
    )
    return sorted(answer.status_code for answer in answers)


async def _admins(web: httpx.AsyncClient) -> list[str]:
    users = await web.store.console_users()  # type: ignore[attr-defined]
    return [user.name for user in users if user.is_admin]


async def test_two_admins_demoting_each_other_leave_one(
    web: httpx.AsyncClient, second: httpx.AsyncClient
) -> None:
    codes = await _at_once(web, second, "/console/accounts/role", role="editor")
    assert len(await _admins(web)) == 1
    assert 303 in codes and codes != [303, 303]


async def test_two_admins_removing_each_other_leave_one(
    web: httpx.AsyncClient, second: httpx.AsyncClient
) -> None:
    await _at_once(web, second, "/console/accounts/remove")
    assert len(await _admins(web)) == 1


async def test_the_store_refuses_to_drop_the_last_admin_when_asked(
    web: httpx.AsyncClient, account: Account
) -> None:
    from digests.store import LastConsoleAdmin
    from tests.conftest import NOW

    store = web.store  # type: ignore[attr-defined]
    await account("solo", "admin")
    with pytest.raises(LastConsoleAdmin):
        await store.set_console_role("solo", "editor", now=NOW, keep_an_admin=True)
    with pytest.raises(LastConsoleAdmin):
        await store.remove_console_user("solo", keep_an_admin=True)
    assert await _admins(web) == ["solo"]
    # The CLI (no keep_an_admin) still may, as before.
    assert await store.set_console_role("solo", "editor", now=NOW)
