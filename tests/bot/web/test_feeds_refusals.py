"""What the feeds page refuses, with one clear line and nothing written: a bad URL, name,
interval or category, a feed that exists (with an offer to enable it if disabled), a form
that is not the page's, an id that names no feed; two adds of one URL at once make one
feed."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest

from digests.feed_checks import FeedRefused, check_feed_fields
from digests.store import Store
from tests.bot.web.conftest import csrf_of
from tests.conftest import NOW

EVERY = timedelta(minutes=30)
GOOD = {"url": "https://ok.example/feed", "category": "climate"}


def store_of(client: httpx.AsyncClient) -> Store:
    return client.store  # type: ignore[attr-defined,no-any-return]


async def token(client: httpx.AsyncClient) -> str:
    return csrf_of((await client.get("/console/feeds")).text)


async def refused_adds(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    return [
        (e.action, e.outcome) for e in await store_of(client).audit_log() if e.action == "feed-add"
    ]


@pytest.mark.parametrize(
    ("fields", "line"),
    [
        ({"url": "ftp://x.example/feed"}, "That is not a feed address"),
        ({"url": "not a url"}, "That is not a feed address"),
        ({"url": "javascript:alert(1)"}, "That is not a feed address"),
        ({"url": "https://" + "a" * 5000 + ".example/"}, "That is not a feed address"),
        ({"url": "http://[::1"}, "That is not a feed address"),
        ({"url": ""}, "That is not a feed address"),
        ({"url": "https://user:secret@x.example/feed"}, "may not hold a user name or password"),
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "link-local"),
        ({"name": "Evil\u202eName"}, "no control or bidi characters"),
        ({"name": "Bell\x07"}, "no control or bidi characters"),
        ({"name": "n" * 301}, "at most 300 characters"),
        ({"interval": "9" * 5000}, "The interval is a duration"),
        ({"interval": "10s"}, "The interval is a duration"),
        ({"interval": "soon"}, "The interval is a duration"),
        ({"category": []}, "Choose at least one category."),
        ({"category": "sport"}, "There is no such category: &#39;sport&#39;."),
        ({"category": ["climate", "<b>x</b>"]}, "There is no such category: &#39;&lt;b&gt;"),
        ({"category": ["climate"] * 201}, "This form was not sent as the page makes it."),
        ({"url": ["https://a.example/", "https://b.example/"]}, "not sent as the page makes it"),
    ],
)
async def test_a_bad_feed_is_refused_with_one_line(
    editor: httpx.AsyncClient, fields: dict[str, object], line: str
) -> None:
    data = {**GOOD, **fields, "csrf": await token(editor)}
    answer = await editor.post("/console/feeds", data=data)  # type: ignore[arg-type]
    assert answer.status_code == 422
    assert '<p class="problem" role="alert" id="problem">' in answer.text
    assert line in answer.text
    assert await store_of(editor).list_feeds() == []
    assert await refused_adds(editor) == [("feed-add", "refused")]


@pytest.mark.parametrize("field", ["url", "name", "interval", "category"])
async def test_bytes_no_text_decodes_are_no_crash(editor: httpx.AsyncClient, field: str) -> None:
    # A lone surrogate as UTF-8 bytes: the form reader replaces them (U+FFFD), and what
    # is left is refused or stored as valid text, never a 500.
    fields = {**GOOD, "csrf": await token(editor), field: "x"}
    body = "&".join(f"{k}={quote(str(v))}" for k, v in fields.items())
    body = body.replace(f"{field}=x", f"{field}=x%ED%B2%80")
    answer = await editor.post(
        "/console/feeds",
        content=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code in (303, 422), answer.text
    assert (await editor.get("/console/feeds")).status_code == 200
    for feed in await store_of(editor).list_feeds():
        assert (feed.name or "").encode("utf-8")  # no surrogate survived


def test_a_lone_surrogate_name_is_refused_by_the_shared_check() -> None:
    with pytest.raises(FeedRefused) as caught:
        check_feed_fields("https://x.example/", name="x\udc80", interval=None)
    assert caught.value.reason == "name"


@pytest.mark.parametrize("char", ["\u202e", "\x00", "\x1b"])
async def test_control_and_bidi_characters_in_a_url_are_escaped_as_the_cli_does(
    editor: httpx.AsyncClient, char: str
) -> None:
    data = {**GOOD, "url": f"https://x.example/a{char}b", "csrf": await token(editor)}
    assert (await editor.post("/console/feeds", data=data)).status_code == 303
    [feed] = await store_of(editor).list_feeds()
    assert feed.url.isascii() and feed.url.isprintable() and "%" in feed.url


async def test_a_file_where_text_belongs_is_refused(editor: httpx.AsyncClient) -> None:
    answer = await editor.post(
        "/console/feeds",
        data={"csrf": await token(editor), "category": "climate"},
        files={"url": ("feed.xml", b"https://x.example/", "text/plain")},
    )
    assert answer.status_code == 422
    assert "not sent as the page makes it" in answer.text


async def test_the_refused_form_keeps_what_was_typed(editor: httpx.AsyncClient) -> None:
    data = {
        "csrf": await token(editor),
        "url": "https://x.example/",
        "name": "<i>Mine</i>",
        "interval": "1s",
        "category": "tech",
    }
    answer = await editor.post("/console/feeds", data=data)
    assert answer.status_code == 422
    assert 'value="&lt;i&gt;Mine&lt;/i&gt;"' in answer.text
    assert 'value="https://x.example/"' in answer.text
    assert 'id="category-tech" name="category" value="tech" checked' in answer.text


async def test_a_known_url_is_refused_and_a_disabled_one_offered(
    editor: httpx.AsyncClient,
) -> None:
    store = store_of(editor)
    feed = await store.upsert_feed(
        "https://ok.example/feed", ["tech"], now=NOW, name="Known", interval=EVERY
    )
    # The same feed, written differently: canonical URLs compare.
    again = {**GOOD, "url": "HTTPS://OK.example:443/feed#top", "csrf": await token(editor)}
    answer = await editor.post("/console/feeds", data=again)
    assert answer.status_code == 422
    assert "https://ok.example/feed is already a feed: Known." in answer.text
    assert 'id="offer-enable"' not in answer.text
    await store.disable_feed(feed.id, "gone (410)")
    answer = await editor.post("/console/feeds", data=again)
    assert answer.status_code == 422
    assert f'action="/console/feeds/{feed.id}/enable" class="inline offer"' in answer.text
    after = await store.get_feed("https://ok.example/feed")
    assert after is not None and after.categories == ("tech",) and after.disabled  # untouched


async def test_two_adds_of_one_url_at_once_make_one_feed(editor: httpx.AsyncClient) -> None:
    data = {**GOOD, "csrf": await token(editor)}
    answers = await asyncio.gather(
        *(editor.post("/console/feeds", data=data) for _ in range(6))  # type: ignore[arg-type]
    )
    assert sorted(a.status_code for a in answers) == [303] + [422] * 5
    assert [f.url for f in await store_of(editor).list_feeds()] == ["https://ok.example/feed"]
    outcomes = sorted(outcome for _, outcome in await refused_adds(editor))
    assert outcomes == ["ok"] + ["refused"] * 5


BAD_IDS = ("abc", "9" * 5000, "99999", "-1", "1.0", "%D9%A3", "%ED%B2%80", "0x1")


async def test_an_id_that_names_no_feed_is_404(editor: httpx.AsyncClient) -> None:
    # One signed-in client for the whole table: signing in (argon2) is the slow part.
    await store_of(editor).upsert_feed("https://ok.example/", ["tech"], now=NOW, interval=EVERY)
    csrf = await token(editor)
    for feed_id in BAD_IDS:
        for action in ("disable", "enable", "poll"):
            answer = await editor.post(f"/console/feeds/{feed_id}/{action}", data={"csrf": csrf})
            assert answer.status_code == 404, (feed_id[:20], action)
            assert "There is no such feed." in answer.text
    feed = await store_of(editor).get_feed("https://ok.example/")
    assert feed is not None and not feed.disabled


async def test_actions_need_the_forms_token(editor: httpx.AsyncClient) -> None:
    feed = await store_of(editor).upsert_feed(
        "https://ok.example/", ["tech"], now=NOW, interval=EVERY
    )
    for path in (f"/console/feeds/{feed.id}/disable", "/console/feeds"):
        answer = await editor.post(path, data={**GOOD, "csrf": "forged" * 5})
        assert answer.status_code == 403
    after = await store_of(editor).get_feed("https://ok.example/")
    assert after is not None and not after.disabled
    assert len(await store_of(editor).list_feeds()) == 1


async def test_a_visitor_cannot_act(web: httpx.AsyncClient) -> None:
    feed = await store_of(web).upsert_feed("https://ok.example/", ["tech"], now=NOW, interval=EVERY)
    answer = await web.post(f"/console/feeds/{feed.id}/disable", data={"csrf": "x" * 40})
    assert answer.status_code == 403


async def test_a_made_up_done_query_says_nothing(editor: httpx.AsyncClient) -> None:
    for query in (
        "done=added&feed=999",
        "done=<script>&feed=1",
        "done=added&feed=" + "9" * 5000,
        "feed=x",
    ):
        answer = await editor.get(f"/console/feeds?{query}")
        assert answer.status_code == 200, query[:30]
        assert 'id="done"' not in answer.text
