"""``console_app``: the console's aiohttp sub-application, mounted at ``/console`` in the
admin API's application. Middlewares run outermost first: security headers, errors as
pages, the session, no writes while the database is lost (503), the CSRF check; each
page's role is checked by its route (``bot.web.routes``)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.api.deps import Deps
from bot.api.errors import Handler
from bot.web import (
    accounts,
    audit,
    breaking,
    feeds,
    login,
    overview,
    preview,
    stories,
    subscribers,
)
from bot.web.context import CONSOLE, Console
from bot.web.render import make_templates
from bot.web.routes import Route, guarded
from bot.web.security import csrf, errors, headers, writable
from bot.web.session import sessions

PREFIX = "/console"
STATIC = Path(__file__).parent / "static"
PAGES = (login, overview, feeds, stories, preview, breaking, subscribers, audit, accounts)


def routes() -> list[Route]:
    return [route for module in PAGES for route in module.ROUTES]


def console_app(deps: Deps) -> web.Application:
    app = web.Application(middlewares=[headers, bare, errors, sessions, writable, csrf])
    app[CONSOLE] = Console(
        deps, make_templates(), session_hours=deps.settings.console_session_hours
    )
    for route in routes():
        path = route.path or "/"
        app.router.add_route(route.method, path, guarded(route))
    app.router.add_static("/static", STATIC, append_version=False)
    return app


@web.middleware
async def bare(request: web.Request, handler: Handler) -> web.StreamResponse:
    """/console (no slash) reaches the console's router too, matching nothing: send it to
    /console/ (the parent application's routes never see it)."""
    if request.path == PREFIX:
        raise web.HTTPPermanentRedirect(PREFIX + "/")
    return await handler(request)


def mount(parent: web.Application, deps: Deps) -> None:
    """Serve the console at /console/ (and send /console there)."""
    parent.add_subapp(PREFIX, console_app(deps))
