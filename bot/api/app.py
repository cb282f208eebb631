"""``Api``: the admin API's aiohttp application — its routes, the middlewares (errors to
JSON, bearer-token authentication with audited refusals, no writes while the database is
lost) and the ``Server`` header that names no versions."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from datetime import datetime

from aiohttp import web, web_response

from bot.api.articles import post_articles
from bot.api.body import MAX_BODY
from bot.api.breaking import get_push, post_push
from bot.api.deps import DEPS, Deps
from bot.api.errors import Handler, errors, expect
from bot.api.health import healthz, metrics, stats
from bot.api.links import get_links
from bot.api.openapi import openapi
from bot.api.protocol_log import quiet_client_faults
from bot.api.refusals import RefusalLog, audit_refused
from bot.web import app as console
from bot.wiring import Identity
from digests.errors import UnavailableError
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import Clock

log = logging.getLogger(__name__)

SERVER = "digestbot"
READS = frozenset({"GET", "HEAD", "OPTIONS"})
REFUSED = "missing or wrong bearer token"
PUBLIC = frozenset({"/healthz", "/metrics", "/api/openapi.json"})


async def _server_header(request: web.Request, response: web.StreamResponse) -> None:
    # aiohttp's default names Python's and its own versions, a gift to scanners.
    response.headers["Server"] = SERVER


def _hide_server_versions() -> None:
    """Answers aiohttp makes itself, before any application sees the request (a malformed
    request line or header), take the default ``Server`` value, which has no public
    setting: replace it, for every aiohttp server in this process (all of them are ours)."""
    if hasattr(web_response, "SERVER_SOFTWARE"):
        web_response.SERVER_SOFTWARE = SERVER  # type: ignore[misc]


def _console_path(path: str) -> bool:
    """The console signs its own visitors in (``bot.web``): no bearer token there."""
    return path == console.PREFIX or path.startswith(console.PREFIX + "/")


class Api:
    def __init__(
        self,
        store: Store,
        renderer: Renderer,
        settings: Settings,
        clock: Clock,
        on_push: Callable[[], None] | None = None,
        identity: Identity | None = None,
    ) -> None:
        self.store = store
        self.renderer = renderer
        self.settings = settings
        self.clock = clock
        self.on_push = on_push or (lambda: None)
        # The running bot's own object, so the links follow what getMe answered.
        self.identity = identity if identity is not None else Identity()
        # Without API_TOKEN the API refuses every /api/* request; the console still serves.
        self._token = settings.api_token.encode() if settings.api_token else None
        self.refusals = RefusalLog()

    def app(self) -> web.Application:
        app = web.Application(
            client_max_size=MAX_BODY, middlewares=[errors, self.auth, self.writable]
        )
        app[DEPS] = Deps(
            self.store, self.renderer, self.settings, self.clock, self.on_push, self.identity
        )
        app.on_response_prepare.append(_server_header)
        _hide_server_versions()
        quiet_client_faults()
        app.on_cleanup.append(self._flush_refusals)
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/healthz", healthz),
            ("GET", "/metrics", metrics),
            ("GET", "/api/openapi.json", openapi),
            ("POST", "/api/articles", post_articles),
            ("POST", "/api/breaking", post_push),
            ("GET", "/api/breaking/{id}", get_push),
            ("GET", "/api/stats", stats),
            ("GET", "/api/links", get_links),
        ]
        for method, path, handler in routes:
            if method == "GET":
                app.router.add_get(path, handler, expect_handler=expect)
            else:
                app.router.add_route(method, path, handler, expect_handler=expect)
        console.mount(app, app[DEPS])
        return app

    async def _flush_refusals(self, app: web.Application) -> None:
        """Shutting down: write the refusals still held back."""
        now = self.clock.now()
        for address, held in self.refusals.drain().items():
            try:
                await self._audit_refused(address, "(held back)", held, now)
            except Exception:  # the store may be gone already; a count is not worth a crash
                log.warning("could not audit %d refused API attempts from %s", held, address)

    @web.middleware
    async def auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in PUBLIC or _console_path(request.path):
            return await handler(request)
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        # A header that is not UTF-8 arrives with lone surrogates; it is simply wrong.
        tried = token.encode("utf-8", "surrogateescape")
        if (
            self._token is None
            or scheme.lower() != "bearer"
            or not hmac.compare_digest(tried, self._token)
        ):
            # Refused attempts are audited too (never the token that was tried), at most
            # once a minute per address, with a count.
            now = self.clock.now()
            noted = self.refusals.note(request.remote or "?", now)
            if noted is not None:
                await self._audit_refused(
                    noted[0], f"{request.method} {request.path}", noted[1], now
                )
            return web.json_response({"error": REFUSED}, status=401)
        return await handler(request)

    async def _audit_refused(self, address: str, action: str, count: int, now: datetime) -> None:
        await audit_refused(self.store, address, action, count, now, detail=REFUSED)

    @web.middleware
    async def writable(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse writes while the database is lost: a 201 into a deleted file is a lie."""
        if (
            request.method not in READS
            and request.path not in PUBLIC
            and not _console_path(request.path)
        ):
            problem = await self.store.health()
            if problem is not None:
                log.error("admin API refuses %s %s: %s", request.method, request.path, problem)
                raise UnavailableError(problem)
        return await handler(request)
