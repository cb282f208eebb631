"""The console's accounts page (admins only): list, add and remove console accounts."""

from __future__ import annotations

from aiohttp import web

from bot.web.i18n import _
from bot.web.render import page
from bot.web.routes import Route


async def show(request: web.Request) -> web.StreamResponse:
    return page(request, "accounts.html.j2", title=_("Accounts"))


ROUTES = [Route("GET", "/accounts", show, role="admin")]
