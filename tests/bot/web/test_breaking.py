"""The console's breaking page: choose, preview (nothing stored), confirm (one push, audited
under the account's name, the delivery worker woken), progress as JSON and as a page,
cancel."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.api import Api
from digests import breaking
from digests.deliver import DeliveryWorker
from digests.models import Article, Category
from digests.pacing import Pacer
from digests.render import Renderer
from digests.settings import DeliveryLimits, Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.bot.web.conftest import Account, csrf_of, sign_in
from tests.conftest import NOW, RecordingSender


class Desk(httpx.AsyncClient):
    """A signed-in editor's browser, with the store, clock and wake-ups of its console."""

    store: Store
    clock: FakeClock
    woken: list[int]


@pytest.fixture
async def desk(store: Store, local_server: Any, account: Account) -> AsyncIterator[Desk]:
    for slug in ("climate", "tech"):
        await store.upsert_category(Category(slug, slug.title()))
    for n, (platform, category) in enumerate(
        [("telegram", "climate"), ("discord", "climate"), ("telegram", "tech")], start=1
    ):
        reader = await store.upsert_subscriber(platform, str(n), now=NOW)
        await store.subscribe(reader.id, [category], now=NOW)
    woken: list[int] = []
    clock = FakeClock(NOW)
    api = Api(store, Renderer(), Settings(), clock, on_push=lambda: woken.append(1))
    base = await local_server(api.app())
    async with Desk(base_url=base) as client:
        client.store, client.clock, client.woken = store, clock, woken
        await account("ed", "editor")
        assert (await sign_in(client, "ed")).status_code == 303
        yield client


async def stored(store: Store, n: int = 1, category: str = "climate") -> Article:
    return await breaking.resolve_article(
        store,
        category=category,
        now=NOW,
        url=f"https://news.example/{category}/{n}",
        title=f"Flood warning {n} for the Mekong delta",
        summary="Ferries stop until Monday.",
    )


async def form(client: httpx.AsyncClient, **fields: str) -> dict[str, str]:
    page = await client.get("/console/breaking")
    return {"csrf": csrf_of(page.text), "category": "climate", **fields}


def confirm_form(preview: str) -> dict[str, str]:
    """The preview's Confirm form, as the browser would post it."""
    action = preview.index('action="/console/breaking/confirm"')
    block = preview[action : preview.index("</form>", action)]
    return dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', block))


async def pushes(store: Store) -> int:
    row = await store._fetchone("SELECT COUNT(*) FROM pushes")
    return int(row[0]) if row else 0


async def deliver(store: Store) -> None:
    senders = {p: RecordingSender(p) for p in ("telegram", "discord")}
    await DeliveryWorker(store, senders, Pacer({}), FakeClock(NOW), DeliveryLimits()).run_once()


async def test_step_one_offers_categories_articles_and_the_latest_pushes(desk: Desk) -> None:
    article = await stored(desk.store, 1)
    await stored(desk.store, 2, "tech")
    page = await desk.get("/console/breaking")
    assert page.status_code == 200
    for label, target in [("Category", "category"), ("Article", "article"), ("URL", "url")]:
        assert f'<label for="{target}">{label}</label>' in page.text
    assert f'<option value="{article.id}">{article.title}</option>' in page.text
    assert 'data-category="tech"' in page.text
    assert "No breaking push yet." in page.text
    await breaking.start_push(
        desk.store, Renderer(), category="climate", article=article, requested_by="ed", now=NOW
    )
    listed = await desk.get("/console/breaking")
    assert '<a href="/console/breaking/1">#1</a>' in listed.text
    assert article.title in listed.text and "sending" in listed.text


async def test_a_preview_shows_both_platforms_and_stores_nothing(desk: Desk) -> None:
    answer = await desk.post(
        "/console/breaking/preview",
        data=await form(
            desk,
            url="https://news.example/new",
            title="Dam breach <script>alert(1)</script>",
            summary="S",
        ),
    )
    assert answer.status_code == 200
    assert '<strong id="push-subscribers">2</strong>' in answer.text
    telegram = answer.text[answer.text.index('id="breaking-telegram"') :]
    discord = answer.text[answer.text.index('id="breaking-discord"') :]
    assert re.search(r'<a href="https://news.example/new"[^>]*><strong>Dam breach', telegram)
    assert 'class="dc-embed"' in discord and re.search(
        r'news.example/new"[^>]*>Dam breach', discord
    )
    assert "<script>alert" not in answer.text
    assert confirm_form(answer.text)["url"] == "https://news.example/new"
    back = re.search(r'href="(/console/breaking\?[^"]+)" id="push-back"', answer.text)
    assert back, "a Back link"
    again = await desk.get(back.group(1).replace("&amp;", "&"))
    assert 'value="https://news.example/new"' in again.text  # nothing typed is lost
    assert (await desk.store.counts())["articles"] == 0
    assert await pushes(desk.store) == 0


async def test_confirm_starts_one_push_audited_and_wakes_the_worker(desk: Desk) -> None:
    article = await stored(desk.store)
    preview = await desk.post(
        "/console/breaking/preview", data=await form(desk, article=str(article.id))
    )
    started = await desk.post("/console/breaking/confirm", data=confirm_form(preview.text))
    assert started.status_code == 303
    assert started.headers["Location"] == "/console/breaking/1"
    assert desk.woken == [1]
    audit = (await desk.store.audit_log())[0]
    assert (audit.actor, audit.platform, audit.action, audit.outcome) == (
        "ed",
        "console",
        "breaking",
        "ok",
    )
    page = await desk.get("/console/breaking/1")
    assert '<strong id="push-status" class="push-sending">sending</strong>' in page.text
    assert '<dd class="figure" id="push-pending">2</dd>' in page.text
    assert 'id="push-cancel"' in page.text and 'href="/console/breaking/1"' in page.text


async def test_progress_follows_the_outbox_until_done(desk: Desk) -> None:
    article = await stored(desk.store)
    report = await breaking.start_push(
        desk.store, Renderer(), category="climate", article=article, requested_by="ed", now=NOW
    )
    sending = (await desk.get(f"/console/breaking/{report.push_id}/progress")).json()
    assert (sending["status"], sending["pending"], sending["delivered"]) == ("sending", 2, 0)
    assert sending["finished"] is False
    await deliver(desk.store)
    done = (await desk.get(f"/console/breaking/{report.push_id}/progress")).json()
    assert (done["status"], done["status_text"], done["delivered"], done["total"]) == (
        "done",
        "done",
        2,
        2,
    )
    assert done["finished"] is True and done["pending"] == 0
    page = await desk.get(f"/console/breaking/{report.push_id}")
    assert '<dd class="figure" id="push-delivered">2</dd>' in page.text
    assert 'id="push-cancel"' not in page.text


async def test_a_new_article_is_stored_with_its_push(desk: Desk) -> None:
    preview = await desk.post(
        "/console/breaking/preview",
        data=await form(desk, url="https://news.example/new", title="Dam breach upstream"),
    )
    started = await desk.post("/console/breaking/confirm", data=confirm_form(preview.text))
    assert started.status_code == 303
    assert (await desk.store.counts())["articles"] == 1
    page = await desk.get(started.headers["Location"])
    assert "Dam breach upstream" in page.text


async def test_cancel_stops_the_push_and_is_audited(desk: Desk) -> None:
    article = await stored(desk.store)
    report = await breaking.start_push(
        desk.store, Renderer(), category="climate", article=article, requested_by="ed", now=NOW
    )
    page = await desk.get(f"/console/breaking/{report.push_id}")
    answer = await desk.post(
        f"/console/breaking/{report.push_id}/cancel", data={"csrf": csrf_of(page.text)}
    )
    assert answer.status_code == 303
    shown = await desk.get(answer.headers["Location"])
    assert '<strong id="push-status" class="push-cancelled">cancelled</strong>' in shown.text
    assert '<dd class="figure" id="push-blocked">2</dd>' in shown.text
    assert "The push was cancelled." in shown.text
    assert 'data-finished="yes"' in shown.text
    audit = (await desk.store.audit_log())[0]
    assert (audit.actor, audit.action, audit.target, audit.outcome) == (
        "ed",
        "breaking-cancel",
        str(report.push_id),
        "ok",
    )
    again = await desk.post(
        f"/console/breaking/{report.push_id}/cancel", data={"csrf": csrf_of(page.text)}
    )
    assert again.headers["Location"].endswith("?done=finished")
    assert (await desk.store.audit_log())[0].outcome == "refused"


async def test_a_double_clicked_confirm_starts_one_push(desk: Desk) -> None:
    article = await stored(desk.store)
    preview = await desk.post(
        "/console/breaking/preview", data=await form(desk, article=str(article.id))
    )
    fields = confirm_form(preview.text)
    answers = await asyncio.gather(
        *(desk.post("/console/breaking/confirm", data=fields) for _ in range(2))
    )
    assert await pushes(desk.store) == 1
    assert [(a.status_code, a.headers["Location"]) for a in answers] == [
        (303, "/console/breaking/1")
    ] * 2
    await deliver(desk.store)  # done: a third press still starts nothing new
    third = await desk.post("/console/breaking/confirm", data=fields)
    assert third.headers["Location"] == "/console/breaking/1"
    assert await pushes(desk.store) == 1


async def test_another_push_of_the_category_is_named(desk: Desk) -> None:
    first, second = await stored(desk.store, 1), await stored(desk.store, 2)
    await breaking.start_push(
        desk.store, Renderer(), category="climate", article=first, requested_by="x", now=NOW
    )
    preview = await desk.post(
        "/console/breaking/preview", data=await form(desk, article=str(second.id))
    )
    busy = await desk.post("/console/breaking/confirm", data=confirm_form(preview.text))
    assert busy.status_code == 409
    assert "Push #1 for climate is still going out" in busy.text
    assert 'href="/console/breaking/1"' in busy.text
    assert (await desk.store.audit_log())[0].outcome == "refused"


async def test_the_cross_category_warning_needs_its_checkbox(desk: Desk) -> None:
    article = await stored(desk.store, 1, "tech")
    preview = await desk.post(
        "/console/breaking/preview", data=await form(desk, article=str(article.id))
    )
    assert f"article {article.id} is in tech, not climate" in preview.text
    assert 'name="cross_category" value="yes"' in preview.text
    fields = confirm_form(preview.text)
    fields.pop("cross_category")
    refused = await desk.post("/console/breaking/confirm", data=fields)
    assert refused.status_code == 422 and await pushes(desk.store) == 0
    started = await desk.post("/console/breaking/confirm", data={**fields, "cross_category": "yes"})
    assert started.status_code == 303 and await pushes(desk.store) == 1


async def test_the_page_speaks_vietnamese(desk: Desk) -> None:
    page = await desk.get("/console/breaking")
    await desk.post("/console/language", data={"csrf": csrf_of(page.text), "language": "vi"})
    shown = await desk.get("/console/breaking")
    assert "Chuyên mục" in shown.text and "Xem trước" in shown.text


async def test_the_store_lists_latest_articles_and_pushes(desk: Desk) -> None:
    store = desk.store
    articles = [await stored(store, n) for n in range(1, 5)]
    await stored(store, 9, "tech")
    latest = await store.latest_articles_of("climate", 3)
    assert [a.id for a in latest] == [a.id for a in reversed(articles)][:3]
    assert await store.latest_articles_of("nothing", 3) == []
    for category, article in (("climate", articles[0]), ("tech", await stored(store, 8, "tech"))):
        await breaking.start_push(
            store, Renderer(), category=category, article=article, requested_by="ed", now=NOW
        )
    rows = await store.latest_pushes(10)
    assert [(r.push.category, r.push.pending, r.title) for r in rows] == [
        ("tech", 1, "Flood warning 8 for the Mekong delta"),
        ("climate", 2, "Flood warning 1 for the Mekong delta"),
    ]
    only = await store.latest_pushes(10, category="climate")
    assert [r.push.id for r in only] == [rows[1].push.id]


async def test_a_cancelled_push_is_followed_until_its_sends_under_way_end(desk: Desk) -> None:
    article = await stored(desk.store)
    report = await breaking.start_push(
        desk.store, Renderer(), category="climate", article=article, requested_by="ed", now=NOW
    )
    async with desk.store._transaction() as db:  # the worker has claimed both entries
        await db.execute("UPDATE outbox SET status = 'sending'")
    await breaking.cancel(desk.store, report.push_id, now=NOW)
    shown = (await desk.get(f"/console/breaking/{report.push_id}/progress")).json()
    assert (shown["status"], shown["pending"], shown["finished"]) == ("cancelled", 2, False)
    page = await desk.get(f"/console/breaking/{report.push_id}")
    assert 'data-finished="no"' in page.text and 'id="push-cancel"' not in page.text


async def test_a_double_clicked_confirm_of_a_new_article_stores_it_once(desk: Desk) -> None:
    preview = await desk.post(
        "/console/breaking/preview",
        data=await form(desk, url="https://news.example/new", title="Dam breach upstream"),
    )
    fields = confirm_form(preview.text)
    answers = await asyncio.gather(
        *(desk.post("/console/breaking/confirm", data=fields) for _ in range(3))
    )
    assert {a.headers["Location"] for a in answers} == {"/console/breaking/1"}
    assert await pushes(desk.store) == 1 and (await desk.store.counts())["articles"] == 1
    started = [e for e in await desk.store.audit_log() if e.action == "breaking"]
    assert [(e.actor, e.outcome) for e in started] == [("ed", "ok")]
