"""The console's frame: log-in and out, roles, CSRF, security headers, error pages."""

from __future__ import annotations

import httpx
import pytest

from bot.web.security import CSP
from tests.bot.web.conftest import Account, csrf_of, sign_in


async def test_a_visitor_is_sent_to_sign_in(web: httpx.AsyncClient) -> None:
    answer = await web.get("/console/feeds")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console/login?next=/console/feeds"


async def test_signing_in_and_out(web: httpx.AsyncClient, account: Account) -> None:
    await account("ed", "editor")
    assert (await sign_in(web, "ed", "wrong password!")).status_code == 401
    assert (await sign_in(web, "ed")).status_code == 303
    overview = await web.get("/console/")
    assert overview.status_code == 200
    assert "<title>Overview · digestbot</title>" in overview.text
    out = await web.post("/console/logout", data={"csrf": csrf_of(overview.text)})
    assert out.status_code == 303
    assert (await web.get("/console/")).status_code == 303
    entries = await web.store.audit_log()  # type: ignore[attr-defined]
    actions = [(e.actor, e.action, e.outcome) for e in entries]
    assert actions == [("ed", "logout", "ok"), ("ed", "login", "ok"), ("ed", "login", "refused")]


async def test_a_form_without_its_token_is_refused(editor: httpx.AsyncClient) -> None:
    answer = await editor.post("/console/logout", data={})
    assert answer.status_code == 403
    assert "did not come from this console" in answer.text
    assert (await editor.get("/console/")).status_code == 200  # still signed in


async def test_an_editor_cannot_open_the_accounts_page(editor: httpx.AsyncClient) -> None:
    assert (await editor.get("/console/accounts")).status_code == 403


async def test_an_admin_can(admin_user: httpx.AsyncClient) -> None:
    assert (await admin_user.get("/console/accounts")).status_code == 200


async def test_every_answer_has_the_security_headers(editor: httpx.AsyncClient) -> None:
    for path in (
        "/console/",
        "/console/login",
        "/console/no-such-page",
        "/console/static/console.css",
    ):
        answer = await editor.get(path)
        assert answer.headers["Content-Security-Policy"] == CSP, path
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


async def test_the_api_still_wants_its_token(web: httpx.AsyncClient) -> None:
    answer = await web.get("/api/stats")
    assert answer.status_code == 401


async def test_a_post_while_the_database_is_lost_is_a_503_page(
    editor: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = await editor.get("/console/")

    async def lost(timeout: float = 5.0) -> str:
        return "the database file is gone (No such file or directory); restart digestbot"

    monkeypatch.setattr(editor.store, "health", lost)  # type: ignore[attr-defined]
    answer = await editor.post(
        "/console/language", data={"csrf": csrf_of(page.text), "language": "vi"}
    )
    assert answer.status_code == 503
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "nothing was changed" in answer.text
    assert "No such file" not in answer.text  # the operator's detail stays in the log
    assert (await editor.get("/console/")).status_code == 200


async def test_redirects_static_files_and_errors_carry_the_headers_too(
    web: httpx.AsyncClient,
) -> None:
    for path, status in (
        ("/console", 308),
        ("/console/feeds", 303),
        ("/console/static/console.css", 200),
        ("/console/static/nothing.js", 404),
        ("/console/login?next=%ff", 200),
    ):
        answer = await web.get(path)
        assert answer.status_code == status, path
        assert answer.headers["Content-Security-Policy"] == CSP, path
        assert answer.headers["X-Frame-Options"] == "DENY", path
        assert answer.headers["Cache-Control"] == "no-store", path
    wrong_method = await web.put("/console/login")
    assert wrong_method.status_code in (403, 405)  # the CSRF check comes first
    assert wrong_method.headers["Content-Security-Policy"] == CSP


async def test_errors_and_titles_speak_the_accounts_language(editor: httpx.AsyncClient) -> None:
    ed = await editor.store.console_user("ed")  # type: ignore[attr-defined]
    await editor.store.set_console_language(ed.id, "vi", now=ed.created_at)  # type: ignore[attr-defined]
    missing = await editor.get("/console/no-such-page")
    assert missing.status_code == 404 and "Không có trang này." in missing.text
    assert "<title>Lỗi · digestbot</title>" in missing.text
    refused = await editor.get("/console/accounts")
    assert "Trang này chỉ dành cho quản trị viên." in refused.text
