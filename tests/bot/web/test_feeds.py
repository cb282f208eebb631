"""The console's feeds page: the table of every feed with its state, error, times and
article count; adding, disabling, enabling and polling a feed, each audited; a feed added
here is not feeds.toml's to disable."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from digests.models import NewArticle
from digests.settings import Settings
from digests.store import Store, feed_scope
from tests.bot.web.conftest import csrf_of
from tests.conftest import NOW

EVERY = timedelta(minutes=30)


def store_of(client: httpx.AsyncClient) -> Store:
    return client.store  # type: ignore[attr-defined,no-any-return]


def row_of(html: str, feed_id: int) -> str:
    found = re.search(rf'<tr id="feed-{feed_id}".*?</tr>', html, re.S)
    assert found, f"row of feed {feed_id}"
    return found.group(0)


async def audits(client: httpx.AsyncClient) -> list[tuple[str, str, str | None, str]]:
    return [(e.actor, e.action, e.target, e.outcome) for e in await store_of(client).audit_log()]


async def post(client: httpx.AsyncClient, path: str, **fields: object) -> httpx.Response:
    page = await client.get("/console/feeds")
    return await client.post(path, data={"csrf": csrf_of(page.text), **fields})  # type: ignore[arg-type]


async def test_the_table_shows_each_feeds_state(editor: httpx.AsyncClient) -> None:
    store = store_of(editor)
    ok = await store.upsert_feed(
        "https://ok.example/feed", ["climate"], now=NOW, name="Calm News", interval=EVERY
    )
    failing = await store.upsert_feed("https://bad.example/", ["tech"], now=NOW, interval=EVERY)
    off = await store.upsert_feed("https://off.example/", ["tech"], now=NOW, interval=EVERY)
    odd = await store.upsert_feed("javascript:alert(1)", ["tech"], now=NOW, interval=EVERY)
    await store.record_fetch_success(
        ok.id,
        now=NOW - timedelta(minutes=5),
        next_fetch_at=NOW + timedelta(minutes=25),
        etag=None,
        last_modified=None,
        title="The Calm",
    )
    news = [
        NewArticle(
            url=f"https://ok.example/{i}",
            title=f"T{i}",
            summary="",
            source="s",
            published_at=NOW,
            guid=str(i),
        )
        for i in range(1234)
    ]
    await store.ingest_articles(feed_scope(ok.id), news, ["climate"], now=NOW, feed_id=ok.id)
    error = "<script>alert(1)</script>\u202e" + "x" * 400
    await store.record_fetch_failure(
        failing.id, now=NOW, error=error, next_fetch_at=NOW + EVERY, disable_reason=None
    )
    await store.disable_feed(off.id, "gone (410)")

    page = await editor.get("/console/feeds")
    assert page.status_code == 200
    assert "<title>Feeds · digestbot</title>" in page.text
    assert 'id="feeds"' in page.text
    calm = row_of(page.text, ok.id)
    assert 'data-state="ok"' in calm and "Calm News" in calm
    assert 'data-count="1234">1,234<' in calm
    assert (
        '<a class="feed-url" href="https://ok.example/feed" rel="noopener noreferrer" '
        'target="_blank">' in calm
    )
    assert "5 minutes ago" in calm and "in 25 minutes" in calm
    assert 'aria-label="Poll now: Calm News"' in calm and 'aria-label="Disable: Calm News"' in calm
    bad = row_of(page.text, failing.id)
    assert 'data-state="failing"' in bad and "failing (errors in a row: 1)" in bad
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\u202e" in bad  # escaped, bidi shown
    assert "x" * 170 in bad and "x" * 201 not in bad  # cut short
    gone = row_of(page.text, off.id)
    assert 'data-state="disabled"' in gone and "disabled: gone (410)" in gone
    assert 'aria-label="Enable: https://off.example/"' in gone and "Poll now" not in gone
    strange = row_of(page.text, odd.id)
    assert "<a " not in strange and "javascript:alert(1)" in strange
    # Failing feeds come first.
    assert page.text.index(f'id="feed-{failing.id}"') < page.text.index(f'id="feed-{ok.id}"')


async def test_adding_a_feed(editor: httpx.AsyncClient) -> None:
    answer = await post(
        editor,
        "/console/feeds",
        url="HTTPS://News.Example/rss?utm_source=x",
        name="Example News",
        category=["climate", "tech"],
        interval="15m",
    )
    assert answer.status_code == 303
    feed = await store_of(editor).get_feed("https://news.example/rss")
    assert feed is not None
    assert (feed.name, feed.categories, feed.interval) == (
        "Example News",
        ("climate", "tech"),
        timedelta(minutes=15),
    )
    assert feed.origin == "api" and not feed.disabled and feed.next_fetch_at == NOW
    assert answer.headers["Location"] == f"/console/feeds?done=added&feed={feed.id}"
    shown = await editor.get(answer.headers["Location"])
    assert "Feed added: Example News." in shown.text
    assert 'data-state="ok"' in row_of(shown.text, feed.id)
    assert (await audits(editor))[0] == ("ed", "feed-add", "https://news.example/rss", "ok")


async def test_a_feed_added_here_is_not_the_feeds_files(editor: httpx.AsyncClient) -> None:
    answer = await post(editor, "/console/feeds", url="https://c.example/", category="tech")
    assert answer.status_code == 303
    store = store_of(editor)
    # What `feeds sync` does with a file that names none of the console's feeds.
    assert await store.disable_feeds_except([]) == []
    feed = await store.get_feed("https://c.example/")
    assert feed is not None and not feed.disabled
    assert feed.interval == Settings().fetch.default_interval


async def test_disable_enable_and_poll(editor: httpx.AsyncClient) -> None:
    store = store_of(editor)
    feed = await store.upsert_feed(
        "https://f.example/", ["climate"], now=NOW, name="F", interval=EVERY
    )
    await store.record_fetch_success(
        feed.id, now=NOW, next_fetch_at=NOW + EVERY, etag=None, last_modified=None, title=None
    )
    later = NOW + timedelta(minutes=3)
    editor.clock.set(later)  # type: ignore[attr-defined]

    polled = await post(editor, f"/console/feeds/{feed.id}/poll")
    assert polled.status_code == 303
    assert polled.headers["Location"] == f"/console/feeds?done=polled&feed={feed.id}"
    after = await store.feed_by_id(feed.id)
    assert after is not None and after.next_fetch_at == later
    assert [f.id for f in await store.due_feeds(later)] == [feed.id]
    page = await editor.get(polled.headers["Location"])
    assert "Poll requested: F will be fetched within seconds." in page.text
    assert "due now" in row_of(page.text, feed.id)

    disabled = await post(editor, f"/console/feeds/{feed.id}/disable")
    assert disabled.status_code == 303
    off = await store.feed_by_id(feed.id)
    assert (
        off is not None and off.disabled and off.disabled_reason == "disabled in the console by ed"
    )
    page = await editor.get(disabled.headers["Location"])
    assert "disabled: disabled in the console by ed" in row_of(page.text, feed.id)
    assert (await post(editor, f"/console/feeds/{feed.id}/poll")).status_code == 409

    enabled = await post(editor, f"/console/feeds/{feed.id}/enable")
    assert enabled.status_code == 303
    on = await store.feed_by_id(feed.id)
    assert on is not None and not on.disabled and on.next_fetch_at == later
    assert (await post(editor, f"/console/feeds/{feed.id}/enable")).status_code == 409
    assert [a for a in await audits(editor) if a[1].startswith("feed-")] == [
        ("ed", "feed-enable", "https://f.example/", "refused"),
        ("ed", "feed-enable", "https://f.example/", "ok"),
        ("ed", "feed-poll", "https://f.example/", "refused"),
        ("ed", "feed-disable", "https://f.example/", "ok"),
        ("ed", "feed-poll", "https://f.example/", "ok"),
    ]


async def test_the_page_speaks_the_accounts_language(editor: httpx.AsyncClient) -> None:
    store = store_of(editor)
    user = await store.console_user("ed")
    assert user is not None
    await store.set_console_language(user.id, "vi", now=NOW)
    feed = await store.upsert_feed("https://f.example/", ["climate"], now=NOW, interval=EVERY)
    await store.record_fetch_success(
        feed.id,
        now=NOW - timedelta(minutes=3),
        next_fetch_at=NOW + EVERY,
        etag=None,
        last_modified=None,
        title="F",
    )
    page = await editor.get("/console/feeds")
    assert "Thêm nguồn tin" in page.text
    assert "3 phút trước" in page.text
    refused = await post(editor, "/console/feeds", url="ftp://x.example/", category="tech")
    assert refused.status_code == 422
    assert "Đó không phải địa chỉ nguồn tin" in refused.text
