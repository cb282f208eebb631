"""The console's audit page: filters, paging, hostile filters (one line, 422, never a 500),
hostile log text shown escaped, and the words in Vietnamese."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from bot.web.audit import Filters, read_filters
from digests.store import Store
from tests.conftest import NOW


async def _log(store: Store, actor: str, action: str = "feed-add", **more: object) -> None:
    values = {"platform": "console", "outcome": "ok", "now": NOW, **more}
    await store.audit(actor=actor, action=action, **values)  # type: ignore[arg-type]


def _store(client: httpx.AsyncClient) -> Store:
    return client.store  # type: ignore[attr-defined, no-any-return]


async def test_the_log_shows_every_surface(editor: httpx.AsyncClient) -> None:
    store = _store(editor)
    await _log(store, "tg:42", "breaking", platform="telegram", target="climate")
    for _ in range(3):
        await store.audit_refusal(actor="dc:7", platform="discord", action="breaking", now=NOW)
    answer = await editor.get("/console/audit")
    assert answer.status_code == 200
    text = answer.text
    assert "<title>Audit log · digestbot</title>" in text
    assert "tg:42" in text and "climate" in text and "dc:7" in text
    assert '<tr class="outcome-refused">' in text
    assert '<td class="count">3</td>' in text
    assert 'href="/console/audit?actor=tg%3A42"' in text  # the actor's own entries
    assert "Nov 27, 2026, 12:00:00\u202fPM" in text  # Babel's date, in UTC
    assert '<option value="breaking">breaking</option>' in text
    assert '<option value="telegram">telegram</option>' in text
    assert "UTC" in text


async def test_filters(editor: httpx.AsyncClient) -> None:
    store = _store(editor)
    await _log(store, "alice", "feed-add", now=NOW - timedelta(days=3))
    await _log(store, "alfred", "feed-poll", platform="cli", now=NOW - timedelta(days=1))
    await _log(store, "bob", "feed-add", now=NOW)

    async def actors(**query: str) -> set[str]:
        answer = await editor.get("/console/audit", params=query)
        assert answer.status_code == 200, answer.text
        return {a for a in ("alice", "alfred", "bob") if f"<bdi>{a}</bdi>" in answer.text}

    assert await actors(actor="al") == set()
    assert await actors(actor="al", prefix="1") == {"alice", "alfred"}
    assert await actors(actor="bob") == {"bob"}
    assert await actors(action="feed-add") == {"alice", "bob"}
    assert await actors(platform="cli") == {"alfred"}
    day = (NOW - timedelta(days=1)).date().isoformat()
    assert await actors(**{"from": day}) == {"alfred", "bob"}
    assert await actors(to=day) == {"alice", "alfred"}  # the "to" day is included
    assert await actors(**{"from": day, "to": day}) == {"alfred"}
    assert await actors(action="no-such-action") == set()


async def test_paging_by_id(editor: httpx.AsyncClient) -> None:
    store = _store(editor)
    for n in range(105):
        await _log(store, f"user{n:03d}")
    first = await editor.get("/console/audit", params={"actor": "user", "prefix": "1"})
    assert "<bdi>user104</bdi>" in first.text and "<bdi>user004</bdi>" not in first.text
    older = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    older = older.replace("&amp;", "&")
    assert "prefix=1" in older and "before=" in older
    second = await editor.get(older)
    assert second.status_code == 200
    assert "<bdi>user004</bdi>" in second.text and "<bdi>user000</bdi>" in second.text
    assert "<bdi>user005</bdi>" not in second.text
    assert 'rel="next"' not in second.text
    assert "Newest entries" in second.text


HOSTILE = [
    ("actor", "x" * 5000, "too long"),
    ("actor", "ed\u202egnp.exe", "cannot be searched"),
    ("actor", "ed\x07", "cannot be searched"),
    ("action", "a\x00b", "cannot be searched"),
    ("platform", "\u2066tele", "cannot be searched"),
    ("from", "2026-13-45", "year-month-day"),
    ("from", "9999-12-31", "between"),
    ("to", "0001-01-01", "between"),
    ("to", "２０２６-01-01", "year-month-day"),
    ("from", "2026-1-1", "year-month-day"),
    ("before", "9" * 5000, "page link is broken"),
    ("before", "-377", "page link is broken"),
]


@pytest.mark.parametrize(("field", "value", "says"), HOSTILE)
async def test_hostile_filters_answer_one_line(
    editor: httpx.AsyncClient, field: str, value: str, says: str
) -> None:
    answer = await editor.get("/console/audit", params={field: value})
    assert answer.status_code == 422
    assert answer.text.count('class="problem"') == 1
    assert says in answer.text
    assert value not in answer.text  # a refused value is not echoed back


@pytest.mark.parametrize(
    "raw", ["actor=%ED%A0%80", "action=%ED%B0%80x", "actor=%FF%FE", "platform=%C0%80"]
)
async def test_lone_surrogates_and_bad_utf8_are_no_500(editor: httpx.AsyncClient, raw: str) -> None:
    answer = await editor.get(f"/console/audit?{raw}")
    assert answer.status_code in (200, 422)
    assert "Traceback" not in answer.text


async def test_from_after_to(editor: httpx.AsyncClient) -> None:
    answer = await editor.get("/console/audit", params={"from": "2026-03-02", "to": "2026-03-01"})
    assert answer.status_code == 422
    assert "after the" in answer.text


async def test_repeated_fields_take_the_first(editor: httpx.AsyncClient) -> None:
    await _log(_store(editor), "ed")
    answer = await editor.get("/console/audit?actor=ed&actor=" + "x" * 5000)
    assert answer.status_code == 200
    assert "<bdi>ed</bdi>" in answer.text


async def test_hostile_log_text_is_escaped(editor: httpx.AsyncClient) -> None:
    script = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    await _log(
        _store(editor), "tg:1\u202e", "breaking", target=script, detail=f"\u202e{script}\u2067"
    )
    answer = await editor.get("/console/audit")
    assert answer.status_code == 200
    assert "<script>alert" not in answer.text and "<img src=x" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    assert "<bdi>\u202e&lt;script&gt;" in answer.text  # isolated from the next cell


async def test_admins_see_it_too(admin_user: httpx.AsyncClient) -> None:
    await _log(_store(admin_user), "ed", "feed-add", target="chat -100123")
    answer = await admin_user.get("/console/audit")
    assert answer.status_code == 200 and "chat -100123" in answer.text


async def test_a_visitor_must_sign_in(web: httpx.AsyncClient) -> None:
    assert (await web.get("/console/audit")).status_code == 303


async def test_in_vietnamese(editor: httpx.AsyncClient) -> None:
    store = _store(editor)
    (user,) = [u for u in await store.console_users() if u.name == "ed"]
    await store.set_console_language(user.id, "vi", now=NOW)
    await _log(store, "ed", outcome="refused")
    answer = await editor.get("/console/audit")
    assert "<title>Nhật ký kiểm tra · digestbot</title>" in answer.text
    assert "bị từ chối" in answer.text
    assert "27 thg 11, 2026" in answer.text  # Babel's Vietnamese date
    bad = await editor.get("/console/audit", params={"from": "2026-13-45"})
    assert bad.status_code == 422 and "năm-tháng-ngày" in bad.text


def test_read_filters_is_pure() -> None:
    filters, problem = read_filters({"actor": " ed ", "prefix": "1", "from": "2026-03-01"})
    assert problem is None
    assert filters == Filters(actor="ed", prefix=True, start=date(2026, 3, 1))
    assert filters.link(7) == "/console/audit?actor=ed&prefix=1&from=2026-03-01&before=7"
    assert read_filters({})[0].link(None) == "/console/audit"
