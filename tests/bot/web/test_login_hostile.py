"""Hostile input on every form of the frame (log-in, password, language, accounts):
a 4xx page with one clear line, never a 500, never a sign-in or a stored oddity."""

from __future__ import annotations

import httpx
import pytest

from bot.api.body import MAX_BODY
from bot.web.login import safe_next
from bot.web.session import COOKIE
from tests.bot.web.conftest import PASSWORD, Account, csrf_of

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
FORMS = ("/console/login", "/console/password", "/console/language", "/console/accounts")


def _problem_line(html: str) -> str:
    start = html.index('role="alert">') + len('role="alert">')
    return html[start : html.index("</p>", start)]


async def _token(client: httpx.AsyncClient) -> str:
    page = await client.get("/console/password" if COOKIE in client.cookies else "/console/login")
    return csrf_of(page.text)


@pytest.mark.parametrize(
    "raw",
    [
        b"name=%ED%A0%80&password=x",  # a lone surrogate, as UTF-8 bytes
        b"name=%FF%FE&password=%C0",  # not UTF-8 at all
        b"name=ed&name=ada&password=x",  # a field twice
        b"name=" + b"x" * 5000 + b"&password=" + b"y" * 5000,
        b"name=ed%00%E2%80%AE&password=x",  # NUL and a bidi override
        b"%%%&&&==",
    ],
)
async def test_garbled_log_ins_are_refused_in_one_line(
    web: httpx.AsyncClient, account: Account, raw: bytes
) -> None:
    await account("ed")
    token = await _token(web)
    answer = await web.post(
        "/console/login", content=b"csrf=" + token.encode() + b"&" + raw, headers=FORM
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert "\n" not in _problem_line(answer.text)
    assert COOKIE not in web.cookies


@pytest.mark.parametrize("path", FORMS)
async def test_a_body_over_the_limit_is_413_everywhere(
    admin_user: httpx.AsyncClient, path: str
) -> None:
    token = await _token(admin_user)
    body = b"csrf=" + token.encode() + b"&name=" + b"x" * (MAX_BODY + 10)
    answer = await admin_user.post(path, content=body, headers=FORM)
    assert answer.status_code == 413
    assert "too large" in answer.text


async def test_broken_multipart_is_a_400(web: httpx.AsyncClient) -> None:
    answer = await web.post(
        "/console/login",
        content=b"--x\r\nContent-Disposition: form-data\r\n\r\nbroken",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert 400 <= answer.status_code < 500


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/console/language", {"language": "vi\u202e"}),
        ("/console/language", {"language": "x" * 5000}),
        ("/console/password", {"old": PASSWORD, "new": "x" * 5000, "again": "x" * 5000}),
        ("/console/accounts", {"name": "bad\u202ename", "role": "editor"}),
        ("/console/accounts", {"name": "\u0000", "role": "editor"}),
        ("/console/accounts", {"name": "ok", "role": "x" * 5000}),
        ("/console/accounts/remove", {"name": "a" * 5000}),
        ("/console/accounts/role", {"name": "ed", "role": "\ud800"}),
    ],
)
async def test_hostile_fields_are_refused_with_a_reason(
    admin_user: httpx.AsyncClient, path: str, data: dict[str, str]
) -> None:
    token = await _token(admin_user)
    content = httpx.QueryParams(
        {
            "csrf": token,
            **{
                k: v.encode("utf-8", "surrogatepass").decode("latin-1") if "\ud800" in v else v
                for k, v in data.items()
            },
        }
    )
    answer = await admin_user.post(path, content=str(content).encode(), headers=FORM)
    assert 400 <= answer.status_code < 500, answer.text
    assert "\n" not in _problem_line(answer.text)
    names = [u.name for u in await admin_user.store.console_users()]  # type: ignore[attr-defined]
    assert names == ["ada"]


@pytest.mark.parametrize("path", FORMS)
async def test_repeated_fields_are_refused(admin_user: httpx.AsyncClient, path: str) -> None:
    token = await _token(admin_user)
    body = f"csrf={token}&language=vi&language=en&name=a&name=b&old=x&old=y&role=editor"
    answer = await admin_user.post(path, content=body.encode(), headers=FORM)
    assert answer.status_code == 422, answer.text
    assert "more than once" in answer.text


@pytest.mark.parametrize(
    "cookie",
    ["", "x", "a" * 5000, "eyJ0b2tlbiI6MX0.forged.sig", "é\u202e", "%ff%fe", '"quoted"'],
)
async def test_forged_or_garbled_cookies_sign_nobody_in(
    web: httpx.AsyncClient, account: Account, cookie: str
) -> None:
    await account("ed")
    answer = await web.get("/console/", headers={"Cookie": f"{COOKIE}={cookie}".encode()})
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/console/login")


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "javascript:alert(1)",
        "https://evil.example/console/",
        "/console//evil.example",
        "/console/\\evil.example",
        "/consolex",
        "/console/\u202e",
        "/console/\ud800",
        "/console/../api/stats",
        None,
        ["/console/feeds"],
    ],
)
def test_next_never_leaves_the_console(target: object) -> None:
    assert safe_next(target) == "/console/"


def test_next_keeps_a_console_page() -> None:
    assert safe_next("/console/feeds?state=failing") == "/console/feeds?state=failing"


async def test_a_hostile_next_in_the_form_goes_home(
    web: httpx.AsyncClient, account: Account
) -> None:
    await account("ed")
    page = await web.get("/console/login?next=//evil.example")
    assert "evil" not in page.text
    answer = await web.post(
        "/console/login",
        data={
            "csrf": csrf_of(page.text),
            "name": "ed",
            "password": PASSWORD,
            "next": "javascript:alert(1)",
        },
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/console/"
