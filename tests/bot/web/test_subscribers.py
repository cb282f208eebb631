"""The subscribers page: counts per category, platform, language and time zone; chat ids
for admins only."""

from __future__ import annotations

import re

import httpx

from bot.web.subscribers import Row, platform_rows, rows_of, top
from digests.store import Store
from tests.bot.web.conftest import Account, sign_in
from tests.conftest import NOW

CHAT = "-100987654321"


def numbers_of(html: str, table: str, heading: str) -> list[str]:
    body = re.search(rf'<table class="overview-table" id="{table}">(.*?)</table>', html, re.S)
    assert body, table
    found = re.search(
        rf'<th scope="row"><bdi>{re.escape(heading)}</bdi></th>(.*?)</tr>', body.group(1), re.S
    )
    assert found, heading
    return re.findall(r'<td class="num">([^<]*)</td>', found.group(1))


async def seed(store: Store) -> None:
    one = await store.upsert_subscriber(
        "telegram", CHAT, now=NOW, language="vi", timezone="Asia/Ho_Chi_Minh"
    )
    two = await store.upsert_subscriber("discord", "5550001", now=NOW)
    three = await store.upsert_subscriber("telegram", "7770123456", now=NOW)
    await store.subscribe(one.id, ["tech", "climate"], now=NOW)
    await store.subscribe(two.id, ["tech"], now=NOW)
    await store.update_subscriber(three.id, now=NOW, paused=1)
    await store.deactivate(two.id, reason="gone", now=NOW)


async def test_an_editor_sees_counts_and_no_chat_id(editor: httpx.AsyncClient) -> None:
    await seed(editor.store)  # type: ignore[attr-defined]
    page = await editor.get("/console/subscribers")
    assert page.status_code == 200
    html = page.text
    assert numbers_of(html, "platforms", "telegram") == ["1", "1", "2"]
    assert numbers_of(html, "platforms", "discord") == ["0", "1", "1"]
    assert numbers_of(html, "languages", "vi") == ["1", "0", "1"]
    assert numbers_of(html, "zones", "UTC") == ["0", "2", "2"]
    assert re.search(r"Tech</bdi>|Tech <span", html)
    for chat in (CHAT, "5550001", "7770123456"):
        assert chat not in html
    assert "Chat ids are shown to admins only." in html


async def test_an_admin_sees_the_newest_with_their_chat_ids(admin_user: httpx.AsyncClient) -> None:
    await seed(admin_user.store)  # type: ignore[attr-defined]
    html = (await admin_user.get("/console/subscribers")).text
    newest = re.search(r'<table class="overview-table" id="newest">(.*?)</table>', html, re.S)
    assert newest
    chats = re.findall(r'<td class="chat-id"><bdi>([^<]*)</bdi>', newest.group(1))
    assert chats == ["7770123456", "5550001", CHAT]  # newest first
    assert "climate, tech" in newest.group(1)


async def test_an_empty_database(editor: httpx.AsyncClient) -> None:
    page = await editor.get("/console/subscribers")
    assert page.status_code == 200
    assert "No subscribers yet." in page.text


async def test_hostile_chat_ids_are_escaped(admin_user: httpx.AsyncClient) -> None:
    store: Store = admin_user.store  # type: ignore[attr-defined]
    await store.upsert_subscriber("telegram", "<script>alert(1)</script>\u202e", now=NOW)
    html = (await admin_user.get("/console/subscribers")).text
    assert "<script>alert" not in html and "\u202e" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\u202e" in html


def test_the_top_zones_and_the_rest() -> None:
    rows = rows_of({f"Zone/{i:02}": {"active": i, "inactive": 1} for i in range(60)})
    shown, rest, count = top(rows, 50)
    assert len(shown) == 50 and shown[0].name == "Zone/59"
    assert count == 10
    assert rest == Row("", sum(range(10)), 10)
    assert top(rows[:3], 50) == (rows[:3], None, 0)


def test_paused_counts_as_not_active() -> None:
    states = {"telegram": {"active": 3, "paused": 1, "inactive": 2}}
    assert platform_rows(states) == [Row("telegram", 3, 3)]


async def test_a_vietnamese_account_reads_the_page_in_vietnamese(
    web: httpx.AsyncClient, account: Account
) -> None:
    user = await account("vi", "editor")
    await web.store.set_console_language(user.id, "vi", now=NOW)  # type: ignore[attr-defined]
    assert (await sign_in(web, "vi")).status_code == 303
    html = (await web.get("/console/subscribers")).text
    assert "<title>Người đăng ký · digestbot</title>" in html
    assert "Chỉ quản trị viên mới xem được mã cuộc trò chuyện." in html
