"""Console sessions: expiry, logout and removal end them server-side, a password change
ends the account's other sessions, the cookie's flags, the must-change flow."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from aiohttp.test_utils import make_mocked_request

from bot.web.peer import client_address, forwarded_for, is_https
from bot.web.session import COOKIE
from digests.settings import Settings
from tests.bot.web.conftest import PASSWORD, Account, csrf_of, sign_in


async def test_a_session_expires(editor: httpx.AsyncClient) -> None:
    assert (await editor.get("/console/")).status_code == 200
    editor.clock.advance(timedelta(hours=Settings().console_session_hours, seconds=1))  # type: ignore[attr-defined]
    answer = await editor.get("/console/feeds")
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/console/login")


async def test_a_cookie_replayed_after_logout_signs_nobody_in(editor: httpx.AsyncClient) -> None:
    cookie = editor.cookies[COOKIE]
    page = await editor.get("/console/")
    assert (
        await editor.post("/console/logout", data={"csrf": csrf_of(page.text)})
    ).status_code == 303
    editor.cookies.set(COOKIE, cookie, path="/console")
    answer = await editor.get("/console/")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/console/login")


async def test_a_removed_account_is_signed_out(editor: httpx.AsyncClient) -> None:
    assert await editor.store.remove_console_user("ed")  # type: ignore[attr-defined]
    assert (await editor.get("/console/")).status_code == 303


async def test_a_password_change_ends_the_other_sessions(
    web: httpx.AsyncClient, account: Account
) -> None:
    await account("ed")
    await sign_in(web)
    elsewhere = web.cookies[COOKIE]
    web.cookies.clear()
    await sign_in(web)
    form = await web.get("/console/password")
    new = "another long password"
    answer = await web.post(
        "/console/password",
        data={"csrf": csrf_of(form.text), "old": PASSWORD, "new": new, "again": new},
    )
    assert answer.status_code == 303
    assert (await web.get("/console/")).status_code == 200  # this one stays
    web.cookies.clear()
    web.cookies.set(COOKIE, elsewhere, path="/console")
    assert (await web.get("/console/")).status_code == 303  # the other one ended


@pytest.mark.parametrize(
    ("old", "new", "again", "problem"),
    [
        ("wrong password!", "another long password", "another long password", "is wrong"),
        (PASSWORD, "another long password", "another long passwort", "differ"),
        (PASSWORD, "short", "short", "12"),
        (PASSWORD, PASSWORD, PASSWORD, "other than"),
        (PASSWORD, "bad \x07 password!", "bad \x07 password!", "control"),
    ],
)
async def test_a_refused_password_change_says_why(
    editor: httpx.AsyncClient, old: str, new: str, again: str, problem: str
) -> None:
    form = await editor.get("/console/password")
    data = {"csrf": csrf_of(form.text), "old": old, "new": new, "again": again}
    answer = await editor.post("/console/password", data=data)
    assert answer.status_code == 422
    assert problem in answer.text
    assert (await editor.get("/console/")).status_code == 200  # still signed in, unchanged


async def test_the_cookie_is_httponly_strict_and_secure_behind_a_local_https_proxy(
    web: httpx.AsyncClient, account: Account
) -> None:
    await account("ed")
    form = await web.get("/console/login")
    plain = await web.post(
        "/console/login", data={"csrf": csrf_of(form.text), "name": "ed", "password": PASSWORD}
    )
    cookie = plain.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    form = await web.get("/console/login")
    proxied = await web.post(
        "/console/login",
        data={"csrf": csrf_of(form.text), "name": "ed", "password": PASSWORD},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert "Secure" in proxied.headers["Set-Cookie"]


def _request(peer: str, **headers: str):  # type: ignore[no-untyped-def]
    class Transport:
        def get_extra_info(self, name: str, default: object = None) -> object:
            return (peer, 1234) if name == "peername" else default

    return make_mocked_request("GET", "/console/", headers=headers, transport=Transport())


def test_forwarded_headers_count_only_from_a_local_proxy() -> None:
    assert is_https(_request("127.0.0.1", **{"X-Forwarded-Proto": "https"}))
    assert is_https(_request("::1", **{"X-Forwarded-Proto": "HTTPS"}))
    assert not is_https(_request("203.0.113.5", **{"X-Forwarded-Proto": "https"}))
    assert client_address(_request("127.0.0.1", **{"X-Forwarded-For": "1.2.3.4, 5.6.7.8"})) == (
        "5.6.7.8"
    )
    assert client_address(_request("203.0.113.5", **{"X-Forwarded-For": "5.6.7.8"})) == (
        "203.0.113.5"
    )
    assert client_address(_request("127.0.0.1", **{"X-Forwarded-For": "<evil>"})) == "127.0.0.1"


@pytest.mark.parametrize(
    ("header", "address"),
    [("", None), ("1.2.3.4", "1.2.3.4"), ("x, ::1", "::1"), ("junk", None), ("9" * 99, None)],
)
def test_the_address_a_proxy_appended(header: str, address: str | None) -> None:
    assert forwarded_for(header) == address


async def test_one_who_must_change_may_only_change_or_leave(
    web: httpx.AsyncClient, account: Account
) -> None:
    await account("ed", must_change=True)
    assert (await sign_in(web)).status_code == 303
    for path in ("/console/", "/console/feeds", "/console/accounts"):
        answer = await web.get(path)
        assert answer.status_code == 303 and answer.headers["Location"] == "/console/password"
    form = await web.get("/console/password")
    assert form.status_code == 200
    out = await web.post("/console/logout", data={"csrf": csrf_of(form.text)})
    assert out.status_code == 303 and out.headers["Location"] == "/console/login"


async def test_signing_in_again_ends_the_previous_session(
    editor: httpx.AsyncClient, account: Account
) -> None:
    first = editor.cookies[COOKIE]
    await account("ada", "admin")
    form = await editor.get("/console/login")
    answer = await editor.post(
        "/console/login",
        data={"csrf": csrf_of(form.text), "name": "ada", "password": PASSWORD},
    )
    assert answer.status_code == 303
    assert (await editor.get("/console/accounts")).status_code == 200
    editor.cookies.set(COOKIE, first, path="/console")
    assert (await editor.get("/console/")).status_code == 303
