"""The console's stories page: the latest stories with their sources and categories, a word
search, and splitting an article out of a story or merging two stories."""

from __future__ import annotations

from aiohttp import web

from bot.web.i18n import _
from bot.web.render import page
from bot.web.routes import Route


async def show(request: web.Request) -> web.StreamResponse:
    return page(request, "stories.html.j2", title=_("Stories"))


ROUTES = [Route("GET", "/stories", show, role="editor")]
