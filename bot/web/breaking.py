"""The console's breaking-news page: pick a category and a stored article or enter a new one,
preview, confirm, watch the push's progress live, cancel."""

from __future__ import annotations

from aiohttp import web

from bot.web.i18n import _
from bot.web.render import page
from bot.web.routes import Route


async def show(request: web.Request) -> web.StreamResponse:
    return page(request, "breaking.html.j2", title=_("Breaking news"))


ROUTES = [Route("GET", "/breaking", show, role="editor")]
