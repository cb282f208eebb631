"""The breaking page refuses what it cannot push: a clear one-line page (4xx), never a 500,
nothing stored; unknown pushes are 404s."""

from __future__ import annotations

import re

import httpx
import pytest
from multidict import MultiDict

from bot.web import breaking_form
from digests.errors import InputError
from tests.bot.web.conftest import csrf_of
from tests.bot.web.test_breaking import Desk, desk, form, pushes, stored

__all__ = ["desk"]  # the fixture, shared with test_breaking

LONG_DIGITS = "9" * 5000
HOSTILE = [
    ({"category": "sports", "article_id": "1"}, 404, "unknown category"),
    ({"category": ""}, 422, "Choose a category."),
    ({"category": "x" * 5000}, 422, "Category is too long"),
    ({"article_id": "999"}, 422, "no article 999"),
    ({"article_id": LONG_DIGITS}, 422, "Id is too long"),
    ({"article_id": "9" * 19}, 422, "whole number from 1 up"),
    ({"article_id": "²"}, 422, "whole number from 1 up"),
    ({"article_id": "0"}, 422, "whole number from 1 up"),
    ({"article": "-3"}, 422, "whole number from 1 up"),
    ({}, 422, "Choose an article, or give a new article"),
    ({"url": "ftp://news.example/x", "title": "T"}, 422, "starts with http:// or https://"),
    ({"url": "javascript:alert(1)", "title": "T"}, 422, "starts with http:// or https://"),
    ({"url": "https://news.example/none"}, 422, "give a title too"),
    ({"url": "https://news.example/none", "title": "   "}, 422, "give a title too"),
    ({"url": "https://news.example/x", "title": "T" * 5000}, 422, "Title is too long"),
    ({"url": "https://news.example/x", "title": "Flood\u202eevil"}, 422, "text-direction"),
    ({"url": "https://news.example/x", "title": "Flood\x07"}, 422, "control"),
    ({"url": "https://news.example/x", "title": "T", "summary": "\x00"}, 422, "control"),
    ({"url": "https://news.example/x", "article_id": "1", "title": "T"}, 422, "not both"),
]


def one_line(page: str) -> str:
    found = re.findall(r'<p class="problem" role="alert">([^<]*)</p>', page)
    assert len(found) == 1, "one problem line"
    assert "\n" not in found[0] and "Traceback" not in page
    return found[0]


@pytest.mark.parametrize(("fields", "status", "said"), HOSTILE)
@pytest.mark.parametrize("step", ["preview", "confirm"])
async def test_refused_input(
    desk: Desk, step: str, fields: dict[str, str], status: int, said: str
) -> None:
    data = await form(desk, **fields)
    answer = await desk.post(f"/console/breaking/{step}", data=data)
    assert answer.status_code == status
    assert said in one_line(answer.text)
    assert (await desk.store.counts())["articles"] == 0
    assert await pushes(desk.store) == 0
    if step == "confirm":
        audit = (await desk.store.audit_log())[0]
        assert (audit.actor, audit.action, audit.outcome) == ("ed", "breaking", "refused")


async def test_a_field_sent_twice_or_as_a_file_is_refused(desk: Desk) -> None:
    data = await form(desk)
    twice = await desk.post(
        "/console/breaking/preview",
        content=f"csrf={data['csrf']}&category=climate&category=tech&article_id=1".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert twice.status_code == 422 and "send one line of text" in one_line(twice.text)
    filed = await desk.post(
        "/console/breaking/preview",
        data={"csrf": data["csrf"], "category": "climate"},
        files={"title": ("t.txt", b"a title")},
    )
    assert filed.status_code == 422


def test_lone_surrogates_are_refused() -> None:
    # httpx cannot send one (aiohttp decodes broken bytes as U+FFFD): read the form directly.
    fields = MultiDict({"category": "climate", "url": "https://x.example/", "title": "a\ud800"})
    with pytest.raises(InputError, match="not valid text"):
        breaking_form.read(fields)
    assert breaking_form.refill(fields)["title"] == ""


async def test_broken_bytes_are_no_500(desk: Desk) -> None:
    data = await form(desk)
    answer = await desk.post(
        "/console/breaking/preview",
        content=f"csrf={data['csrf']}&category=climate&url=https://x.example/&title=%ED%A0%80%FF".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200  # shown as U+FFFD, and still nothing stored
    assert (await desk.store.counts())["articles"] == 0


async def test_a_refused_form_is_shown_again_with_what_can_be_shown(desk: Desk) -> None:
    answer = await desk.post(
        "/console/breaking/preview",
        data=await form(desk, url="ftp://x/", title="Kept title", summary="bad\u202e"),
    )
    assert 'value="Kept title"' in answer.text
    assert 'value="ftp://x/"' in answer.text


async def test_without_the_csrf_token_nothing_happens(desk: Desk) -> None:
    article = await stored(desk.store)
    answer = await desk.post(
        "/console/breaking/confirm", data={"category": "climate", "article_id": str(article.id)}
    )
    assert answer.status_code == 403 and await pushes(desk.store) == 0


@pytest.mark.parametrize(
    "path", ["/console/breaking/99", "/console/breaking/abc", "/console/breaking/" + LONG_DIGITS]
)
async def test_unknown_pushes_are_404(desk: Desk, path: str) -> None:
    assert (await desk.get(path)).status_code == 404
    assert (await desk.get(path + "/progress")).status_code == 404
    page = await desk.get("/console/breaking")
    cancel = await desk.post(path + "/cancel", data={"csrf": csrf_of(page.text)})
    assert cancel.status_code == 404


async def test_progress_needs_a_session(desk: Desk) -> None:
    async with httpx.AsyncClient(base_url=desk.base_url) as stranger:
        answer = await stranger.get("/console/breaking/1/progress")
    assert answer.status_code == 303 and "/console/login" in answer.headers["Location"]
