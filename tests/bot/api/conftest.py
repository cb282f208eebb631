"""A running admin API on 127.0.0.1 for the tests of this folder: ``admin`` is an httpx
client with the ``Api`` it talks to (``admin.api``) and its fake clock (``admin.clock``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.api import Api
from digests.models import Category
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.conftest import NOW

ADMIN_TOKEN = "api-token-0123456789abcdef"
ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
async def admin(store: Store, local_server) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    for slug in ("climate", "tech"):
        await store.upsert_category(Category(slug, slug.title()))
    sub = await store.upsert_subscriber("telegram", "1", now=NOW)
    await store.subscribe(sub.id, ["climate"], now=NOW)
    clock = FakeClock(NOW)
    api = Api(store, Renderer(), Settings(api_token=ADMIN_TOKEN), clock)
    base = await local_server(api.app())
    async with httpx.AsyncClient(base_url=base) as client:
        client.api = api  # type: ignore[attr-defined]
        client.clock = clock  # type: ignore[attr-defined]
        yield client
