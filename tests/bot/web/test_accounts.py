"""The accounts page (admins only): list, add with a one-time password shown once,
remove (never oneself), change a role; each change and refusal audited."""

from __future__ import annotations

import re

import httpx

from bot.web.passwords import verify_password
from tests.bot.web.conftest import Account, csrf_of, sign_in

SECRET = re.compile(r'<code class="secret">([^<]+)</code>')


async def _post(client: httpx.AsyncClient, path: str, **data: str) -> httpx.Response:
    form = await client.get("/console/accounts")
    return await client.post(path, data={"csrf": csrf_of(form.text), **data})


async def test_an_admin_adds_an_account_and_sees_its_password_once(
    admin_user: httpx.AsyncClient,
) -> None:
    answer = await _post(admin_user, "/console/accounts", name="bao", role="editor")
    assert answer.status_code == 200
    found = SECRET.search(answer.text)
    assert found
    user = await admin_user.store.console_user("bao")  # type: ignore[attr-defined]
    assert user is not None and user.must_change and user.role == "editor"
    assert verify_password(user.password_hash, found.group(1))
    again = await admin_user.get("/console/accounts")
    assert found.group(1) not in again.text and "bao" in again.text
    assert answer.headers["Cache-Control"] == "no-store"
    log = await admin_user.store.audit_log()  # type: ignore[attr-defined]
    assert (log[0].actor, log[0].action, log[0].target) == ("ada", "account-add", "bao")


async def test_the_new_account_must_change_its_password_first(
    admin_user: httpx.AsyncClient, web: httpx.AsyncClient
) -> None:
    answer = await _post(admin_user, "/console/accounts", name="bao", role="editor")
    one_time = SECRET.search(answer.text).group(1)  # type: ignore[union-attr]
    admin_user.cookies.clear()
    assert (await sign_in(web, "bao", one_time)).status_code == 303
    forced = await web.get("/console/feeds")
    assert forced.status_code == 303 and forced.headers["Location"] == "/console/password"
    form = await web.get("/console/password")
    assert "Choose your own" in form.text
    changed = await web.post(
        "/console/password",
        data={
            "csrf": csrf_of(form.text),
            "old": one_time,
            "new": "my own long password",
            "again": "my own long password",
        },
    )
    assert changed.status_code == 303
    assert (await web.get("/console/feeds")).status_code == 200


async def test_a_duplicate_or_a_bad_name_is_refused_with_a_reason(
    admin_user: httpx.AsyncClient,
) -> None:
    dup = await _post(admin_user, "/console/accounts", name="ada", role="editor")
    assert dup.status_code == 422 and "exists already" in dup.text
    for bad in ("a b", "x" * 5000, "ed\u202e", "ed\x07", "<script>"):
        answer = await _post(admin_user, "/console/accounts", name=bad, role="editor")
        assert answer.status_code == 422, bad
        assert "<script>" not in answer.text.split("</header>", 1)[1]
    wrong_role = await _post(admin_user, "/console/accounts", name="bao", role="root")
    assert wrong_role.status_code == 422
    assert await admin_user.store.console_user("bao") is None  # type: ignore[attr-defined]


async def test_an_admin_removes_another_account_not_their_own(
    admin_user: httpx.AsyncClient, account: Account
) -> None:
    await account("ed", "editor")
    self_removal = await _post(admin_user, "/console/accounts/remove", name="ada")
    assert self_removal.status_code == 422
    assert "your own account" in self_removal.text
    removed = await _post(admin_user, "/console/accounts/remove", name="ed")
    assert removed.status_code == 303
    assert removed.headers["Location"] == "/console/accounts?done=removed"
    assert await admin_user.store.console_user("ed") is None  # type: ignore[attr-defined]
    gone = await _post(admin_user, "/console/accounts/remove", name="ed")
    assert gone.status_code == 422


async def test_a_role_change_takes_effect_at_once(
    admin_user: httpx.AsyncClient, account: Account
) -> None:
    await account("ed", "editor")
    changed = await _post(admin_user, "/console/accounts/role", name="ed", role="admin")
    assert changed.status_code == 303
    user = await admin_user.store.console_user("ed")  # type: ignore[attr-defined]
    assert user is not None and user.is_admin
    own = await _post(admin_user, "/console/accounts/role", name="ada", role="editor")
    assert own.status_code == 422


async def test_an_editor_can_neither_see_nor_post(editor: httpx.AsyncClient) -> None:
    page = await editor.get("/console/")
    assert "/console/accounts" not in page.text
    answer = await editor.post(
        "/console/accounts", data={"csrf": csrf_of(page.text), "name": "x", "role": "admin"}
    )
    assert answer.status_code == 403
    assert await editor.store.console_user("x") is None  # type: ignore[attr-defined]


async def test_the_page_speaks_the_admins_language(admin_user: httpx.AsyncClient) -> None:
    ada = await admin_user.store.console_user("ada")  # type: ignore[attr-defined]
    await admin_user.store.set_console_language(ada.id, "vi", now=ada.created_at)  # type: ignore[attr-defined]
    page = await admin_user.get("/console/accounts")
    assert "<title>Tài khoản · digestbot</title>" in page.text
    assert "Thêm tài khoản" in page.text and "Đăng xuất" in page.text
    refused = await _post(admin_user, "/console/accounts/remove", name="ada")
    assert "Bạn không thể xoá chính tài khoản mình đang đăng nhập." in refused.text
