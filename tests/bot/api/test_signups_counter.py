"""``digestbot_signups_total`` on /metrics is a Prometheus counter, so it never goes down
(issue 18 red team): /forget deletes a chat's sign-up row, which /api/stats follows, but
a counter that dropped would be read by ``rate()`` and ``increase()`` as a reset, and
every sign-up left would be counted again as new."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.api import Api
from digests.links import SignupCount
from digests.models import Category
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.bot.api.conftest import ADMIN_AUTH, ADMIN_TOKEN
from tests.conftest import NOW


@pytest.fixture
async def client(store: Store, local_server) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    await store.upsert_category(Category("climate", "Climate"))
    api = Api(store, Renderer(), Settings(api_token=ADMIN_TOKEN), FakeClock(NOW))
    base = await local_server(api.app())
    async with httpx.AsyncClient(base_url=base) as http:
        yield http


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, str], float]:
    text = (await client.get("/metrics")).text
    family = next(f for f in text_string_to_metric_families(text) if f.name == "digestbot_signups")
    assert family.type == "counter"
    return {
        (s.labels["link"], s.labels["source"]): s.value
        for s in family.samples
        if s.name == "digestbot_signups_total"
    }


async def sign_up(store: Store, chat: str, link: str, source: str = "") -> int:
    sub = await store.upsert_subscriber("telegram", chat, now=NOW)
    assert await store.record_signup(sub.id, link, source=source)
    return sub.id


async def test_the_counter_never_goes_down_after_forget(
    client: httpx.AsyncClient, store: Store
) -> None:
    code = await store.add_link(["climate"], source="print", now=NOW)
    first = await sign_up(store, "1", "climate")
    await sign_up(store, "2", "climate")
    printed = await sign_up(store, "3", code.code, "print")
    assert await scrape(client) == {("climate", ""): 2.0, (code.code, "print"): 1.0}

    await store.forget_subscriber(first)
    await store.forget_subscriber(printed)
    # The chats still here: /api/stats (and `digestbot stats`) follow /forget.
    stats = (await client.get("/api/stats", headers=ADMIN_AUTH)).json()
    assert stats["signups"] == [{"link": "climate", "source": "", "count": 1}]
    # The counter keeps every sign-up counted, the forgotten chats' too.
    assert await scrape(client) == {("climate", ""): 2.0, (code.code, "print"): 1.0}

    # A forgotten chat that taps a link again is a new sign-up: the counter goes on.
    await sign_up(store, "1", "climate")
    assert await scrape(client) == {("climate", ""): 3.0, (code.code, "print"): 1.0}


async def test_taps_that_sign_up_nobody_count_nothing(store: Store) -> None:
    await store.upsert_category(Category("climate", "Climate"))
    chat = await sign_up(store, "1", "climate")
    for _ in range(3):
        assert not await store.record_signup(chat, "climate")
    join = await store.subscribe_through_link(chat, ["climate"], link="climate", now=NOW)
    assert not join.signed_up
    assert await store.signup_totals() == [SignupCount("climate", "", 1)]


async def test_totals_through_a_link_tap_and_most_first(store: Store) -> None:
    await store.upsert_category(Category("climate", "Climate"))
    code = await store.add_link(["climate"], source="newsletter", now=NOW)
    for chat in ("1", "2"):
        sub = await store.upsert_subscriber("telegram", chat, now=NOW)
        join = await store.subscribe_through_link(
            sub.id, ["climate"], link=code.code, source="newsletter", now=NOW
        )
        assert join.signed_up
    await sign_up(store, "3", "climate")
    assert await store.signup_totals() == [
        SignupCount(code.code, "newsletter", 2),
        SignupCount("climate", "", 1),
    ]
