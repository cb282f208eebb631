"""The console's audit page: every admin action from every surface, filtered by actor, action
and date."""

from __future__ import annotations

from aiohttp import web

from bot.web.i18n import _
from bot.web.render import page
from bot.web.routes import Route


async def show(request: web.Request) -> web.StreamResponse:
    return page(request, "audit.html.j2", title=_("Audit log"))


ROUTES = [Route("GET", "/audit", show, role="editor")]
