"""Reading a request body as JSON: at most MAX_BODY bytes (413 beyond), and only JSON that
``digests.safejson`` accepts (bounded depth and numbers; 400 otherwise)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from digests.errors import InputError
from digests.safejson import loads as json_loads
from digests.terminal import printable

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024


class BodyError(InputError):
    """The body could not be read: a Content-Encoding it does not match, or the client
    closed the connection before sending all of it (answered with 400)."""


async def read_json(request: web.Request) -> Any:
    """The decoded body; raises HTTPRequestEntityTooLarge, BodyError, or JSONInputError
    (an InputError the error table answers with 400)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length)
    try:
        raw = await request.read()
    except web.RequestPayloadError as exc:  # e.g. "Content-Encoding: gzip" on plain bytes
        raise BodyError(f"the body could not be read: {' '.join(str(exc).split())}") from None
    except ConnectionResetError:
        # Nobody is left to answer; one line says why the request ended.
        log.warning(
            "admin API: %s %s: the client left before sending its body",
            request.method,
            printable(request.rel_url.raw_path[:100]),
        )
        raise BodyError("the connection closed before the body was read") from None
    return json_loads(raw)
