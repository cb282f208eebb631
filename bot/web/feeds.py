"""The console's feeds page: each feed's state, last error, next poll and article count; add,
disable, enable, poll now."""

from __future__ import annotations

from aiohttp import web

from bot.web.i18n import _
from bot.web.render import page
from bot.web.routes import Route


async def show(request: web.Request) -> web.StreamResponse:
    return page(request, "feeds.html.j2", title=_("Feeds"))


ROUTES = [Route("GET", "/feeds", show, role="editor")]
