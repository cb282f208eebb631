"""The console served by a real admin API on 127.0.0.1 for the tests of this folder.

``web`` is an httpx client (its cookie jar is the browser's) with the ``Api``
(``web.api``), the store (``web.store``) and the fake clock (``web.clock``). ``account``
makes a console account; ``sign_in`` signs the client in through the log-in form, as a
browser would; ``csrf_of`` reads a page's CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from argon2 import PasswordHasher

from bot.api import Api
from bot.web import passwords
from bot.web.passwords import hash_password
from digests.models import Category
from digests.render import Renderer
from digests.settings import Settings
from digests.store import ConsoleUser, Store
from digests.timeutil import FakeClock
from tests.conftest import NOW

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with the least work it allows: the same code paths, a thousandth of the
    CPU (the defaults cost 64 MiB and a tenth of a second a hash, too slow for hundreds
    of log-ins on a shared machine). Hashes made with the defaults still verify."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_HASHER", cheap)
    passwords.dummy_hash.cache_clear()


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


@pytest.fixture
async def web(store: Store, local_server) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    for slug in ("climate", "tech"):
        await store.upsert_category(Category(slug, slug.title()))
    clock = FakeClock(NOW)
    api = Api(store, Renderer(), Settings(), clock)
    base = await local_server(api.app())
    async with httpx.AsyncClient(base_url=base) as client:
        client.api = api  # type: ignore[attr-defined]
        client.store = store  # type: ignore[attr-defined]
        client.clock = clock  # type: ignore[attr-defined]
        yield client


Account = Callable[..., Awaitable[ConsoleUser]]


@pytest.fixture
def account(store: Store) -> Account:
    async def make(
        name: str = "ed", role: str = "editor", password: str = PASSWORD, must_change: bool = False
    ) -> ConsoleUser:
        return await store.add_console_user(
            name,
            role=role,
            password_hash=hash_password(password),
            must_change=must_change,
            now=NOW,
        )

    return make


async def sign_in(
    client: httpx.AsyncClient, name: str = "ed", password: str = PASSWORD
) -> httpx.Response:
    """Sign in through the form; returns the answer to the form's post (303 when it worked)."""
    form = await client.get("/console/login")
    return await client.post(
        "/console/login",
        data={"csrf": csrf_of(form.text), "name": name, "password": password, "next": ""},
    )


@pytest.fixture
async def editor(web: httpx.AsyncClient, account: Account) -> httpx.AsyncClient:
    """``web`` signed in as the editor "ed"."""
    await account("ed", "editor")
    assert (await sign_in(web, "ed")).status_code == 303
    return web


@pytest.fixture
async def admin_user(web: httpx.AsyncClient, account: Account) -> httpx.AsyncClient:
    """``web`` signed in as the admin "ada"."""
    await account("ada", "admin")
    assert (await sign_in(web, "ada")).status_code == 303
    return web
