"""Errors to HTTP answers, in one place: every failure becomes one JSON body
``{"error": "..."}``. The digestbot error kinds (``digests.errors``) decide the status, so
route handlers raise instead of building error responses; anything unforeseen is a 500
that is logged (never aiohttp's text/plain page with a traceback's worth of hints)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import HttpVersion11, web

from bot.api.body import MAX_BODY, BodyError
from digests.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    UnavailableError,
)
from digests.ingest.importer import RecordError
from digests.safejson import JSONInputError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def printable(text: str, limit: int = 100) -> str:
    """``text`` cut to ``limit`` and safe to store: a lone surrogate from a hostile
    request (aiohttp keeps undecodable bytes that way) becomes a backslash escape."""
    return text[:limit].encode("utf-8", "backslashreplace").decode("utf-8")


def _cut(exc: BaseException) -> str:
    # A record's problem may quote what was sent: cut, and safe to log.
    return printable(str(exc), 300)


@dataclass(frozen=True)
class Rule:
    kind: type[BaseException]
    status: int
    message: Callable[[BaseException], str] = str


# The first rule whose kind the error is an instance of answers; more specific kinds
# come first. A UserFacingError of no kind here (a broken template, a database newer than
# the code) is the operator's to fix: a 500, logged.
STATUS_RULES: tuple[Rule, ...] = (
    Rule(JSONInputError, 400, lambda exc: f"body is not JSON we accept: {exc}"),
    Rule(BodyError, 400, _cut),
    Rule(NotFoundError, 404),
    Rule(ConflictError, 409),
    Rule(RecordError, 422, _cut),
    Rule(InputError, 422),
    Rule(UnicodeError, 422, _cut),
    Rule(OverflowError, 422, _cut),  # a date past year 9999
    Rule(UnavailableError, 503),
)


def answer_for(exc: BaseException) -> tuple[int, str] | None:
    """(status, message) for an expected error; None for a bug (pure)."""
    for rule in STATUS_RULES:
        if isinstance(exc, rule.kind):
            return rule.status, rule.message(exc)
    return None


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The outermost middleware: turns every failure into its JSON answer."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        return error(413, f"body larger than {MAX_BODY} bytes")
    except web.HTTPException as exc:  # aiohttp's own: 404 for no route, 405, …
        if exc.status >= 400:
            return error(exc.status, exc.reason)
        raise
    except Exception as exc:
        answer = answer_for(exc)
        if answer is None:
            log.exception("admin API: %s %s failed", request.method, printable(request.path))
            return error(500, "internal error")
        return error(*answer)


async def expect(request: web.Request) -> web.StreamResponse | None:
    """The Expect header as aiohttp's default handles it (``100-continue`` is answered),
    except that an expectation we cannot meet is refused in JSON, like every other error
    (aiohttp's own 417 is text). Runs before the middlewares."""
    wanted = request.headers.get("Expect", "")
    if request.version != HttpVersion11:
        return None
    if wanted.lower() != "100-continue":
        return error(417, f"cannot meet Expect: {printable(wanted)}")
    await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    request.writer.output_size = 0  # type: ignore[attr-defined]  # the answer has not begun
    return None
