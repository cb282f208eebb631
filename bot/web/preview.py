"""The console's preview page: a digest as a reader will see it, for chosen categories,
platform and language (Telegram's HTML shown as Telegram shows it, Discord's embeds drawn as
Discord draws them)."""

from __future__ import annotations

from aiohttp import web

from bot.web.i18n import _
from bot.web.render import page
from bot.web.routes import Route


async def show(request: web.Request) -> web.StreamResponse:
    return page(request, "preview.html.j2", title=_("Preview"))


ROUTES = [Route("GET", "/preview", show, role="editor")]
