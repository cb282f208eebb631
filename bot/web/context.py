"""What console handlers work with, reached through the request rather than a global: the
API's dependencies (store, renderer, settings, clock, push hook), the template environment,
the session cookie's signer, and the signed-in account of this request."""

from __future__ import annotations

from dataclasses import dataclass

import jinja2
from aiohttp import web
from itsdangerous import URLSafeTimedSerializer

from bot.api.deps import Deps
from digests.store import ConsoleSession


@dataclass
class Console:
    deps: Deps
    templates: jinja2.Environment
    session_hours: int  # CONSOLE_SESSION_HOURS
    # Made from the database's console secret on the first request (it needs the store).
    signer: URLSafeTimedSerializer | None = None


CONSOLE = web.AppKey("console", Console)
# The request's signed-in session (None when nobody is signed in).
SESSION = web.RequestKey("console_session", ConsoleSession | None)  # type: ignore[arg-type]
# The log-in form's CSRF token, before there is a session to hold one.
LOGIN_CSRF = web.RequestKey("console_login_csrf", str)


def console(request: web.Request) -> Console:
    return request.config_dict[CONSOLE]


def session_of(request: web.Request) -> ConsoleSession | None:
    return request.get(SESSION)  # type: ignore[call-overload]


def signed_in(request: web.Request) -> ConsoleSession:
    """The session of a handler behind ``Route(role=...)``: there always is one."""
    session = session_of(request)
    assert session is not None, "a page behind a role has a signed-in session"
    return session
