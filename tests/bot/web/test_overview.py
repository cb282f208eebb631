"""The overview page: subscribers by platform and state, today's deliveries, 429s, the next
dispatch, failing feeds and the chart; store text shown escaped and cut, never a 500."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from bot.web.overview import day_of, shown
from digests.models import Category
from digests.outgoing import OutgoingMessage
from digests.store import OutboxItem, Store
from tests.bot.web.conftest import Account, sign_in
from tests.conftest import NOW


def cell_row(html: str, heading: str) -> list[str]:
    """The numbers of the table row whose heading is ``heading``."""
    found = re.search(rf'<th scope="row">{re.escape(heading)}</th>(.*?)</tr>', html, re.S)
    assert found, heading
    return re.findall(r'<td class="num">([^<]*)</td>', found.group(1))


async def seed(store: Store) -> None:
    subs = [await store.upsert_subscriber("telegram", str(i), now=NOW) for i in range(4)]
    gone = await store.upsert_subscriber("discord", "d1", now=NOW)
    await store.update_subscriber(subs[0].id, now=NOW, paused=1)
    await store.deactivate(gone.id, reason="blocked", now=NOW)
    due = NOW + timedelta(hours=2)
    for s in subs[1:3]:
        await store.update_subscriber(s.id, now=NOW, next_digest_at=due)
    await store.update_subscriber(subs[3].id, now=NOW, next_digest_at=due + timedelta(hours=1))
    await store.enqueue(
        [
            OutboxItem(s.id, "digest", "2026-11-27", "telegram", [OutgoingMessage(text="x")])
            for s in subs[1:]
        ],
        now=NOW,
    )
    await store.count_sends("telegram", 1234, now=NOW - timedelta(minutes=5))
    await store.count_limited("telegram", now=NOW - timedelta(minutes=5))
    await store.count_limited("discord", now=NOW - timedelta(days=1, minutes=1))  # yesterday


async def test_the_overview_shows_the_counts(editor: httpx.AsyncClient) -> None:
    await seed(editor.store)  # type: ignore[attr-defined]
    page = await editor.get("/console/")
    assert page.status_code == 200
    html = page.text
    assert cell_row(html, "telegram") == ["3", "1", "0"]  # active, paused, inactive
    assert cell_row(html, "discord") == ["0", "0", "1"]
    assert cell_row(html, "Digests") == ["3", "0", "0", "0", "0", "0"]
    assert "failed, being retried" in html
    assert "UTC day 2026-11-27" in html
    assert re.search(
        r'<div class="figure">1</div>\s*<div class="label">429s today on telegram', html
    )
    assert re.search(
        r'<div class="figure">0</div>\s*<div class="label">429s today on discord', html
    )
    assert re.search(
        r'<div class="figure">2</div>\s*<div class="label">subscribers due next, '
        r"at 2026-11-27 14:00 UTC \(in 2 hours\)",
        html,
    )
    assert '<svg class="chart" role="img"' in html
    assert "telegram: 1,234 messages" in html
    assert "No feed is failing." in html
    assert '<link rel="stylesheet" href="/console/static/overview.css">' in html


async def test_an_empty_database(editor: httpx.AsyncClient) -> None:
    html = (await editor.get("/console/")).text
    assert "No messages in the last 24 hours." in html
    assert "No digest is scheduled." in html
    assert cell_row(html, "telegram") == ["0", "0", "0"]


async def test_hostile_feed_errors_are_escaped_and_cut(editor: httpx.AsyncClient) -> None:
    store: Store = editor.store  # type: ignore[attr-defined]
    await store.upsert_category(Category("tech", "Tech"))
    error = "<script>alert(1)</script>\u202eevil\x07" + "x" * 5000
    feed = await store.upsert_feed(
        "https://bad.example/feed",
        ["tech"],
        now=NOW,
        name="<img src=x onerror=alert(2)>\u202e",
        interval=timedelta(minutes=5),
    )
    await store.record_fetch_failure(
        feed.id, now=NOW, error=error, next_fetch_at=NOW, disable_reason=None
    )
    page = await editor.get("/console/")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\u202e" not in html and "\x07" not in html
    assert "x" * 400 not in html  # cut
    assert '<a href="/console/feeds">' in html


async def test_a_vietnamese_account_reads_its_numbers(
    web: httpx.AsyncClient, account: Account
) -> None:
    user = await account("vi", "editor")
    await web.store.set_console_language(user.id, "vi", now=NOW)  # type: ignore[attr-defined]
    assert (await sign_in(web, "vi")).status_code == 303
    await web.store.count_sends("telegram", 1234, now=NOW)  # type: ignore[attr-defined]
    html = (await web.get("/console/")).text
    assert "1.234" in html
    assert 'lang="vi"' in html
    assert "<title>Tổng quan · digestbot</title>" in html
    assert "Tin nhắn đã gửi mỗi phút, 24 giờ qua" in html
    assert "telegram: 1.234 tin nhắn" in html  # the chart's spoken summary too
    assert "lỗi, đang thử lại" in html


def test_the_day_is_the_utc_day() -> None:
    late = datetime(2026, 11, 27, 23, 59, tzinfo=UTC)
    assert day_of(late) == (datetime(2026, 11, 27, tzinfo=UTC), datetime(2026, 11, 28, tzinfo=UTC))


def test_store_text_is_made_visible_and_cut() -> None:
    assert shown("a\u202eb\udc80", 100) == "a\\u202eb\\udc80"
    assert shown("y" * 10, 5) == "yyyy…"
    assert shown(None) == ""


async def test_a_next_dispatch_in_year_9999_is_no_500(editor: httpx.AsyncClient) -> None:
    store: Store = editor.store  # type: ignore[attr-defined]
    sub = await store.upsert_subscriber("telegram", "1", now=NOW)
    last = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    await store.update_subscriber(sub.id, now=NOW, next_digest_at=last)
    page = await editor.get("/console/")
    assert page.status_code == 200
    assert "9999-12-31 23:59 UTC" in page.text
