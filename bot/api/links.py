"""GET /api/links: the subscribe links of every live category and code, as ``digestbot
links`` prints them, without the QR codes. The bot's identity is the running bot's own
(getMe, Discord's login) once it has connected, else the settings'."""

from __future__ import annotations

from aiohttp import web

from bot.api.deps import deps
from bot.links import build_links, link_targets, report_json


async def get_links(request: web.Request) -> web.Response:
    found = deps(request)
    links = [build_links(t, found.identity) for t in await link_targets(found.store)]
    return web.json_response(report_json(links, found.identity))
