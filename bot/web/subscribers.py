"""The console's subscribers page: counts per category, platform, language and time zone (chat
ids for admins only)."""

from __future__ import annotations

from aiohttp import web

from bot.web.i18n import _
from bot.web.render import page
from bot.web.routes import Route


async def show(request: web.Request) -> web.StreamResponse:
    return page(request, "subscribers.html.j2", title=_("Subscribers"))


ROUTES = [Route("GET", "/subscribers", show, role="editor")]
