"""Reading a request body as JSON: at most MAX_BODY bytes (413 beyond), and only JSON that
``digests.safejson`` accepts (bounded depth and numbers; 400 otherwise)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from digests.safejson import loads as json_loads

MAX_BODY = 1024 * 1024


async def read_json(request: web.Request) -> Any:
    """The decoded body; raises HTTPRequestEntityTooLarge, or JSONInputError (an
    InputError the error table answers with 400)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length)
    return json_loads(await request.read())
