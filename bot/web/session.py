"""Console sessions as signed cookies. The cookie carries a random token signed with the
database's console secret (itsdangerous, with its age); the store keeps the token's SHA-256
with the account, the CSRF token and the expiry. A cookie is good only while its row lives,
so a logout, an expiry or a removed account ends it at once in every process."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from aiohttp import web
from itsdangerous import BadData, URLSafeTimedSerializer

from bot.api.errors import Handler
from bot.web.context import SESSION, console
from bot.web.peer import is_https
from bot.web.render import language_of, speaking
from digests.store import ConsoleSession, ConsoleUser

COOKIE = "digestbot_console"
_SALT = "digestbot-console-session"


def make_signer(secret: bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def read_cookie(signer: URLSafeTimedSerializer, value: str, max_age: int) -> str | None:
    """The token a cookie carries, or None for a forged, altered or too old one (pure)."""
    try:
        token = signer.loads(value, max_age=max_age)
    except (BadData, UnicodeError, ValueError):
        return None
    return token if isinstance(token, str) and 20 <= len(token) <= 100 else None


@web.middleware
async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Find the request's session (or none) before any page runs."""
    ctx = console(request)
    request[SESSION] = None
    if ctx.signer is None:
        ctx.signer = make_signer(await ctx.deps.store.console_secret())
    value = request.cookies.get(COOKIE)
    if value and len(value) < 400:
        token = read_cookie(ctx.signer, value, ctx.session_hours * 3600)
        if token is not None:
            request[SESSION] = await ctx.deps.store.console_session(
                token_hash(token), now=ctx.deps.clock.now()
            )
    with speaking(language_of(request)):
        return await handler(request)


def set_cookie(request: web.Request, response: web.StreamResponse, value: str, age: int) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=age,
        path="/console",
        httponly=True,
        samesite="Strict",
        secure=is_https(request),
    )


async def start_session(
    request: web.Request, response: web.StreamResponse, user: ConsoleUser
) -> ConsoleSession:
    """Sign ``user`` in: a new session row and its cookie on ``response``."""
    ctx = console(request)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = ctx.deps.clock.now()
    age = ctx.session_hours * 3600
    expires = now + timedelta(seconds=age)
    await ctx.deps.store.start_console_session(
        user.id, token_hash(token), csrf, now=now, expires_at=expires
    )
    assert ctx.signer is not None  # the sessions middleware made it
    set_cookie(request, response, ctx.signer.dumps(token), age)
    return ConsoleSession(token_hash(token), user, csrf, expires)


async def end_session(request: web.Request, response: web.StreamResponse) -> None:
    """Sign out: the session row goes, and the browser is told to drop the cookie."""
    session = request.get(SESSION)
    if session is not None:
        await console(request).deps.store.end_console_session(session.token_hash)
    response.del_cookie(COOKIE, path="/console")
