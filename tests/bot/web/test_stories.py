"""The console's stories page: the list and its search, splitting and merging through the
forms (CSRF, audit), and hostile input answered with one clear line."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

from digests.ingest.cluster import title_key
from digests.models import NewArticle, StoredArticleRef
from digests.store import Store
from digests.timeutil import from_db
from tests.bot.web.conftest import csrf_of
from tests.conftest import NOW

HOUR = timedelta(hours=1)
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


async def put(
    store: Store, n: int, title: str, *, at: datetime = NOW, summary: str = "", scope: str = ""
) -> int:
    _, created = await store.ingest_articles(
        scope or f"feed:{n}",
        [
            NewArticle(
                url=f"https://news.example/{n}",
                title=title,
                summary=summary or f"Summary {n}.",
                source=f"Desk {n}",
                published_at=at - HOUR,
                title_key=title_key(title),
            )
        ],
        ["climate"],
        now=at,
    )
    return created[0].id


async def story(store: Store, *article_ids: int) -> int:
    refs = []
    for article_id in article_ids:
        row = await store._fetchone(
            "SELECT id, scope, title, title_key, published_at FROM articles WHERE id = ?",
            (article_id,),
        )
        assert row is not None
        refs.append(StoredArticleRef(row[0], row[1], row[2], row[3], from_db(row[4])))  # type: ignore[arg-type]
    return (await store.assign_stories([(None, refs)], now=NOW))[0]


def store_of(client: httpx.AsyncClient) -> Store:
    return client.store  # type: ignore[attr-defined,no-any-return]


async def story_of(store: Store, article_id: int) -> int | None:
    row = await store._fetchone("SELECT story_id FROM articles WHERE id = ?", (article_id,))
    return None if row is None else row[0]


@pytest.fixture
async def two(editor: httpx.AsyncClient) -> tuple[int, int, int, int]:
    """Story A (harbour + ferry, grouped wrongly) and story B (harbour again): (a, b,
    harbour article, ferry article)."""
    store = store_of(editor)
    harbour = await put(store, 1, "Harbour council approves budget", at=NOW - 3 * HOUR)
    ferry = await put(store, 2, "Storm closes the northern ferry", at=NOW - 2 * HOUR)
    a = await story(store, harbour, ferry)
    b = await story(store, await put(store, 3, "Harbour budget passes", at=NOW - HOUR))
    return a, b, harbour, ferry


async def test_the_list_shows_stories_newest_first(
    editor: httpx.AsyncClient, two: tuple[int, int, int, int]
) -> None:
    a, b, _, _ = two
    answer = await editor.get("/console/stories")
    assert answer.status_code == 200
    assert "<title>Stories · digestbot</title>" in answer.text
    assert answer.text.index(f'id="story-{b}"') < answer.text.index(f'id="story-{a}"')
    assert '<a href="https://news.example/2" rel="noopener noreferrer">' in answer.text
    assert "Desk 2" in answer.text and "climate" in answer.text
    # Split buttons only on stories of more than one article, named for keyboard users.
    assert answer.text.count('action="/console/stories/split"') == 2
    assert 'aria-label="Split out “Storm closes the northern ferry”' in answer.text
    assert f'<label for="merge-{a}">Merge with story #</label>' in answer.text


async def test_the_search(editor: httpx.AsyncClient, two: tuple[int, int, int, int]) -> None:
    a, b, _, _ = two
    store = store_of(editor)
    await story(store, await put(store, 4, "Rates at 50% and snake_case", at=NOW))
    found = await editor.get("/console/stories", params={"q": "FERRY storm"})
    assert f'id="story-{a}"' in found.text and f'id="story-{b}"' not in found.text
    assert 'value="ferry storm"' in found.text or 'value="FERRY storm"' in found.text
    # % and _ are the editor's characters, not wildcards.
    assert "Rates at 50%" in (await editor.get("/console/stories?q=50%25")).text
    none = await editor.get("/console/stories", params={"q": "5_%"})
    assert "No stories found." in none.text
    # Only recent articles are searched.
    await story(store, await put(store, 5, "Ancient lighthouse reopens", at=NOW - 40 * 24 * HOUR))
    assert "No stories found." in (await editor.get("/console/stories?q=lighthouse")).text
    assert "Ancient lighthouse" in (await editor.get("/console/stories?page=1")).text


async def test_paging(editor: httpx.AsyncClient) -> None:
    store = store_of(editor)
    for n in range(1, 53):
        await story(store, await put(store, n, f"Item {n}", at=NOW - n * HOUR))
    first = await editor.get("/console/stories")
    assert first.text.count('class="story"') == 50
    assert 'rel="next" href="/console/stories?q=&amp;page=2"' in first.text
    second = await editor.get("/console/stories?page=2")
    assert second.text.count('class="story"') == 2 and 'rel="next"' not in second.text
    assert "Item 1</a>" in second.text and "Item 52</a>" in first.text
    assert 'rel="prev"' in second.text


async def test_split_through_the_form(
    editor: httpx.AsyncClient, two: tuple[int, int, int, int]
) -> None:
    a, _, harbour, ferry = two
    store = store_of(editor)
    token = csrf_of((await editor.get("/console/stories")).text)
    answer = await editor.post(
        "/console/stories/split", data={"csrf": token, "article": str(ferry), "story": str(a)}
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console/stories?done=split"
    assert await story_of(store, harbour) == a
    new = await story_of(store, ferry)
    assert new not in (None, a)
    shown = await editor.get("/console/stories?done=split")
    assert "The article is now a story of its own." in shown.text
    # Again: it is on its own now, and the story it was in is not its story any more.
    again = await editor.post(
        "/console/stories/split", data={"csrf": token, "article": str(ferry), "story": str(new)}
    )
    assert again.status_code == 422
    assert "already a story of its own" in again.text
    audit = [(e.action, e.outcome, e.target) for e in await store.audit_log()]
    assert ("story-split", "ok", f"article {ferry} of story {a}") in audit
    assert ("story-split", "refused", f"{ferry} {new}") in audit


async def test_merge_through_the_form(
    editor: httpx.AsyncClient, two: tuple[int, int, int, int]
) -> None:
    a, b, _, _ = two
    store = store_of(editor)
    token = csrf_of((await editor.get("/console/stories")).text)
    answer = await editor.post(
        "/console/stories/merge", data={"csrf": token, "story": str(b), "other": str(a)}
    )
    assert answer.status_code == 303
    assert {await story_of(store, n) for n in (1, 2, 3)} == {min(a, b)}
    entries = [(e.actor, e.action, e.target, e.detail) for e in await store.audit_log()]
    assert ("ed", "story-merge", f"stories {b}, {a}", f"kept story {min(a, b)}") in entries
    gone = await editor.post(
        "/console/stories/merge", data={"csrf": token, "story": str(b), "other": str(a)}
    )
    assert gone.status_code == 404
    itself = await editor.post(
        "/console/stories/merge", data={"csrf": token, "story": str(a), "other": str(a)}
    )
    assert itself.status_code == 422 and "cannot be merged with itself" in itself.text


async def test_an_edit_without_the_token_is_refused(
    editor: httpx.AsyncClient, two: tuple[int, int, int, int]
) -> None:
    a, b, _, _ = two
    answer = await editor.post("/console/stories/merge", data={"story": str(a), "other": str(b)})
    assert answer.status_code == 403
    assert await story_of(store_of(editor), 3) == b


@pytest.mark.parametrize(
    "value",
    ["abc", "9" * 5000, "-4", "", "1.0", "\ud800", "1\u202e", "٣", "0x10"],
)
async def test_hostile_ids_are_one_clear_line(
    editor: httpx.AsyncClient, two: tuple[int, int, int, int], value: str
) -> None:
    a, _, _, _ = two
    token = csrf_of((await editor.get("/console/stories")).text)
    # As a browser sends it: percent-encoded (a lone surrogate as its UTF-8 bytes).
    other = quote(value.encode("utf-8", "surrogatepass"))
    answer = await editor.post(
        "/console/stories/merge",
        content=f"csrf={token}&story={a}&other={other}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code in (404, 422)
    assert len(re.findall('class="problem"', answer.text)) == 1
    assert "Traceback" not in answer.text


async def test_a_missing_field_is_one_clear_line(
    editor: httpx.AsyncClient, two: tuple[int, int, int, int]
) -> None:
    token = csrf_of((await editor.get("/console/stories")).text)
    answer = await editor.post("/console/stories/split", data={"csrf": token})
    assert answer.status_code == 422
    assert "whole number" in answer.text


@pytest.mark.parametrize(
    "query",
    [
        "q=" + "a" * 5000,
        "q=%E2%80%AEevil",
        "q=bell%07",
        "q=%ED%A0%80",
        "page=" + "9" * 5000,
        "page=-1",
        "page=201",
        "page=x",
    ],
)
async def test_hostile_searches_are_one_clear_line(
    editor: httpx.AsyncClient, two: tuple[int, int, int, int], query: str
) -> None:
    answer = await editor.get("/console/stories?" + query)
    assert answer.status_code == 422
    assert answer.text.count('class="problem"') == 1


async def test_hostile_titles_are_shown_escaped(editor: httpx.AsyncClient) -> None:
    store = store_of(editor)
    one = await put(store, 1, HOSTILE, summary=HOSTILE)
    await story(store, one, await put(store, 2, "Second " + HOSTILE))
    answer = await editor.get("/console/stories")
    assert "<script>" not in answer.text and "<img" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    found = await editor.get("/console/stories", params={"q": "<script>"})
    assert "&lt;script&gt;" in found.text and "No stories found." not in found.text


async def test_a_visitor_cannot_edit(web: httpx.AsyncClient) -> None:
    answer = await web.post("/console/stories/merge", data={"story": "1", "other": "2"})
    assert answer.status_code == 403


async def test_the_page_in_vietnamese(
    editor: httpx.AsyncClient, two: tuple[int, int, int, int]
) -> None:
    token = csrf_of((await editor.get("/console/stories")).text)
    await editor.post("/console/language", data={"csrf": token, "language": "vi", "next": ""})
    answer = await editor.get("/console/stories")
    assert "Gộp với tin số" in answer.text
    assert "Tách riêng" in answer.text
