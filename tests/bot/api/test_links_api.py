"""GET /api/links (issue 18): the same links as ``digestbot links``, from the running bot's
own identity; and sign-ups per link and source in /api/stats and /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.api import Api
from bot.api.openapi import OPENAPI
from bot.wiring import Identity
from digests.models import Category
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.bot.api.conftest import ADMIN_AUTH, ADMIN_TOKEN
from tests.conftest import NOW

APP_ID = "1234567890123456789"


@pytest.fixture
async def linked(store: Store, local_server) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    await store.upsert_category(Category("climate", 'Climate <b>& "Energy"</b>'))
    await store.upsert_category(Category("tech", "Tech"))
    identity = Identity(telegram_username=None, discord_application_id=APP_ID)
    api = Api(store, Renderer(), Settings(api_token=ADMIN_TOKEN), FakeClock(NOW), identity=identity)
    base = await local_server(api.app())
    async with httpx.AsyncClient(base_url=base) as client:
        client.identity = identity  # type: ignore[attr-defined]
        client.store = store  # type: ignore[attr-defined]
        yield client


async def test_links_need_the_token(linked: httpx.AsyncClient) -> None:
    response = await linked.get("/api/links")
    assert response.status_code == 401 and "bearer" in response.json()["error"]


async def test_links_follow_the_running_bots_identity(linked: httpx.AsyncClient) -> None:
    code = await linked.store.add_link(["tech", "climate"], source="website", now=NOW)  # type: ignore[attr-defined]
    before = (await linked.get("/api/links", headers=ADMIN_AUTH)).json()
    assert before["telegram_username"] is None
    assert [m.split(":")[0] for m in before["missing"]] == ["no Telegram links"]
    assert [item["payload"] for item in before["links"]] == ["climate", "tech", code.code]
    assert all(item["telegram"] is None for item in before["links"])

    # What `digestbot run` does once getMe has answered: the API shares the object.
    linked.identity.telegram_username = "DailyDigestBot"  # type: ignore[attr-defined]
    after = (await linked.get("/api/links", headers=ADMIN_AUTH)).json()
    assert after["missing"] == []
    climate, _tech, stored = after["links"]
    assert climate == {
        "kind": "category",
        "payload": "climate",
        "name": 'Climate <b>& "Energy"</b>',
        "categories": ["climate"],
        "source": "",
        "telegram": {
            "private": "https://t.me/DailyDigestBot?start=climate",
            "group": "https://t.me/DailyDigestBot?startgroup=climate",
        },
        "discord": {
            "install": f"https://discord.com/oauth2/authorize?client_id={APP_ID}"
            "&scope=bot+applications.commands&permissions=274877926400",
            "command": "/news subscribe category:climate",
        },
        "html": '<a class="digestbot-subscribe digestbot-telegram" '
        'href="https://t.me/DailyDigestBot?start=climate" target="_blank" rel="noopener">'
        "Get Climate &lt;b&gt;&amp; &quot;Energy&quot;&lt;/b&gt; in Telegram</a>",
    }
    assert stored["kind"] == "code" and stored["source"] == "website"
    assert stored["categories"] == ["tech", "climate"]
    assert stored["discord"]["command"] == "/news subscribe category:tech,climate"
    assert stored["telegram"]["private"].endswith(f"?start={code.code}")


async def test_retired_codes_and_categories_have_no_links(linked: httpx.AsyncClient) -> None:
    store: Store = linked.store  # type: ignore[attr-defined]
    link = await store.add_link(["tech"], now=NOW)
    await store.retire_link(link.code, now=NOW)
    payloads = [
        i["payload"] for i in (await linked.get("/api/links", headers=ADMIN_AUTH)).json()["links"]
    ]
    assert payloads == ["climate", "tech"]


async def test_a_code_lists_only_the_categories_a_tap_subscribes_to(
    linked: httpx.AsyncClient,
) -> None:
    store: Store = linked.store  # type: ignore[attr-defined]
    mixed = await store.add_link(["tech", "climate"], now=NOW)
    dead = await store.add_link(["tech"], now=NOW)
    await store.retire_categories_except(["climate"], now=NOW)
    found = (await linked.get("/api/links", headers=ADMIN_AUTH)).json()["links"]
    assert [item["payload"] for item in found] == ["climate", mixed.code]
    assert dead.code not in {item["payload"] for item in found}
    code = found[1]
    assert code["categories"] == ["climate"]
    assert code["discord"]["command"] == "/news subscribe category:climate"
    assert "Tech" not in code["name"]


def test_the_document_describes_links_and_signups() -> None:
    paths = OPENAPI["paths"]
    assert "/api/links" in paths
    stats = paths["/api/stats"]["get"]["responses"]["200"]["content"]["application/json"]
    assert "signups" in stats["schema"]["required"]


async def test_signups_per_link_and_source_in_stats_and_metrics(
    linked: httpx.AsyncClient,
) -> None:
    store: Store = linked.store  # type: ignore[attr-defined]
    code = await store.add_link(["tech"], source="newsletter", now=NOW)
    for chat, link, source in [
        ("1", "climate", ""),
        ("2", "climate", ""),
        ("3", code.code, "newsletter"),
    ]:
        sub = await store.upsert_subscriber("telegram", chat, now=NOW)
        assert await store.record_signup(sub.id, link, source=source)
    # A chat counts once, however often it taps.
    assert not await store.record_signup(sub.id, "climate")

    stats = (await linked.get("/api/stats", headers=ADMIN_AUTH)).json()
    assert stats["signups"] == [
        {"link": "climate", "source": "", "count": 2},
        {"link": code.code, "source": "newsletter", "count": 1},
    ]
    text = (await linked.get("/metrics")).text
    family = next(f for f in text_string_to_metric_families(text) if f.name == "digestbot_signups")
    assert family.type == "counter"
    samples = {
        (s.labels["link"], s.labels["source"]): s.value
        for s in family.samples
        if s.name == "digestbot_signups_total"
    }
    assert samples == {("climate", ""): 2.0, (code.code, "newsletter"): 1.0}


async def test_no_signups_yet(linked: httpx.AsyncClient) -> None:
    assert (await linked.get("/api/stats", headers=ADMIN_AUTH)).json()["signups"] == []
    assert "digestbot_signups_total{" not in (await linked.get("/metrics")).text
