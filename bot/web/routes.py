"""How console pages declare themselves: each page module has a ``ROUTES`` list of
``Route``; the role says who may use it (None: anyone, such as the log-in page). A page
behind a role sends a visitor who is not signed in to the log-in page, one who must first
change the printed password to the password page, and refuses (403) an editor on an admin
page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web

from bot.web.context import session_of
from bot.web.i18n import _
from bot.web.security import Refused

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ROLES = ("editor", "admin")
PASSWORD_PAGE = "/console/password"
# What an account that must first change its printed password may still do.
BEFORE_PASSWORD = frozenset({PASSWORD_PAGE, "/console/logout", "/console/language"})


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # under /console: "" is /console itself, "/feeds" is /console/feeds
    handler: Handler
    role: str | None = "editor"


def guarded(route: Route) -> Handler:
    """``route.handler`` behind its role check."""
    if route.role is None:
        return route.handler
    needed = ROLES.index(route.role)

    async def handler(request: web.Request) -> web.StreamResponse:
        session = session_of(request)
        if session is None:
            if request.method == "GET":
                target = request.path_qs if request.path_qs.startswith("/console") else ""
                raise web.HTTPSeeOther(f"/console/login?next={quote(target, safe='/')}")
            raise Refused(_("Your session has ended. Sign in again."))
        if session.user.must_change and request.path not in BEFORE_PASSWORD:
            raise web.HTTPSeeOther(PASSWORD_PAGE)
        if ROLES.index(session.user.role) < needed:
            raise Refused(_("This page is for admins."))
        return await route.handler(request)

    return handler
