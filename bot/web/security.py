"""The console's guards, as middlewares: security headers on every answer, a CSRF token
checked on every form post, and errors as HTML pages (never a traceback)."""

from __future__ import annotations

import hmac
import logging
import secrets

from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from bot.api.errors import Handler, answer_for, printable
from bot.web.context import LOGIN_CSRF, console, session_of
from bot.web.i18n import _
from bot.web.peer import is_https
from bot.web.render import language_of, page, speaking

log = logging.getLogger(__name__)

# Scripts and styles only from the console's own static files: no inline script can run,
# whatever text a page shows.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Before log-in there is no session to hold the CSRF token: the log-in form's token is
# also set as a cookie, and the two must match (double submit).
LOGIN_CSRF_COOKIE = "digestbot_console_csrf"
CSRF_FIELD = "csrf"


@web.middleware
async def headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects (errors became pages already)
        exc.headers.update(HEADERS)
        exc.headers.setdefault("Cache-Control", "no-store")
        raise
    response.headers.update(HEADERS)
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def login_csrf(request: web.Request) -> str:
    """The log-in form's CSRF token: the browser's cookie, or a new one (set by
    ``keep_login_csrf``)."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not (token.isascii() and 20 <= len(token) <= 100):
        token = secrets.token_urlsafe(32)
    request[LOGIN_CSRF] = token
    return token


def keep_login_csrf(request: web.Request, response: web.StreamResponse) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        request[LOGIN_CSRF],
        path="/console",
        httponly=True,
        samesite="Strict",
        secure=is_https(request),
    )


def _same(sent: object, expected: str) -> bool:
    return (
        isinstance(sent, str)
        and bool(expected)
        and hmac.compare_digest(sent.encode("utf-8", "surrogateescape"), expected.encode())
    )


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every POST carries the session's CSRF token (or, to log in, the log-in cookie's)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return await handler(request)
    form = await read_form(request)
    session = session_of(request)
    expected = session.csrf if session is not None else request.cookies.get(LOGIN_CSRF_COOKIE, "")
    sent = form.getall(CSRF_FIELD, [])
    if len(sent) != 1 or not _same(sent[0], expected):
        raise Refused(
            _(
                "This form has expired or did not come from this console. "
                "Reload the page and try again."
            )
        )
    return await handler(request)


async def read_form(request: web.Request) -> MultiDictProxy[str | bytes | FileField]:
    """The posted form (aiohttp keeps it for the handler's own ``request.post()``); a
    body that is not a form (bad encoding, broken multipart) is a 400 page, and one
    larger than the API's MAX_BODY a 413, never a 500."""
    try:
        return await request.post()
    except web.HTTPException:
        raise
    except (ValueError, UnicodeError, LookupError, AssertionError, TypeError) as exc:
        log.info("console: unreadable form at %s: %s", printable(request.path), printable(str(exc)))
        raise Garbled(_("What was sent is not a form this console can read.")) from None


@web.middleware
async def writable(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No console writes while the database is lost (deleted, replaced, not answering):
    a 503 page, as the API's own ``writable`` answers its JSON one; a "done" after a
    write into a deleted file would be a lie. Reads still answer what they can."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        problem = await console(request).deps.store.health()
        if problem is not None:
            log.error("console refuses %s %s: %s", request.method, printable(request.path), problem)
            raise Unavailable(
                _(
                    "The database cannot be written to right now; nothing was changed. "
                    "Tell whoever runs digestbot, then try again."
                )
            )
    return await handler(request)


class Unavailable(web.HTTPServiceUnavailable):
    """A 503 whose reason is shown on the error page."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.shown = reason


class Garbled(web.HTTPBadRequest):
    """A 400 whose reason is shown on the error page."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.shown = reason


class Refused(web.HTTPForbidden):
    """A 403 whose reason is shown on the error page."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.shown = reason


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Errors as a page in the account's language; redirects pass through."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        with speaking(language_of(request)):
            return _error_page(request, exc.status, getattr(exc, "shown", None))
    except Exception as exc:
        answer = answer_for(exc)
        with speaking(language_of(request)):
            if answer is None:
                log.exception("console: %s %s failed", request.method, printable(request.path))
                return _error_page(request, 500, None)
            return _error_page(request, answer[0], answer[1])


def _error_page(request: web.Request, status: int, shown: str | None) -> web.Response:
    message = shown or _reason(status)
    return page(request, "error.html.j2", status=status, title=_("Error"), message=message)


def _reason(status: int) -> str:
    if status == 403:
        return _("You may not open this page.")
    if status == 404:
        return _("There is no such page.")
    if status == 405:
        return _("This page does not take that kind of request.")
    if status == 413:
        return _("What you sent is too large.")
    if status >= 500:
        return _("Something went wrong on our side; it has been logged.")
    return _("This request could not be understood.")
