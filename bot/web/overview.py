"""The console's overview page: subscribers, today's digests, 429s, the next dispatch, failing
feeds and a chart of messages sent per minute over the last 24 hours."""

from __future__ import annotations

from aiohttp import web

from bot.web.i18n import _
from bot.web.render import page
from bot.web.routes import Route


async def show(request: web.Request) -> web.StreamResponse:
    return page(request, "overview.html.j2", title=_("Overview"))


ROUTES = [Route("GET", "", show, role="editor")]
