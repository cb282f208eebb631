"""The admin HTTP API for newsrooms (aiohttp), served by ``digestbot run`` when API_TOKEN
is set: a CMS webhook for articles, breaking pushes, stats, health and Prometheus metrics.

Every /api route but the OpenAPI document needs ``Authorization: Bearer <API_TOKEN>``
(compared in constant time). Bodies over 1 MB get 413; every error is JSON
``{"error": "..."}`` with 400/401/404/409/413/422 as fits, and 503 for writes while the
database is lost (deleted or replaced under the process, or not answering; /healthz says
so too). Refused attempts are audited at most once a minute per client address, with a
count. The ``Server`` header names no versions.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.console import format_message
from digests import breaking
from digests.ingest.importer import RecordError, validate_record
from digests.render import Renderer
from digests.safejson import JSONInputError
from digests.safejson import loads as json_loads
from digests.settings import Settings
from digests.store import NotFound, PushBusy, Store, import_scope
from digests.timeutil import Clock

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
SERVER = "digestbot"
READS = frozenset({"GET", "HEAD", "OPTIONS"})
REFUSED = "missing or wrong bearer token"
MAX_ID = 2**63 - 1  # SQLite's largest integer
PUBLIC = frozenset({"/healthz", "/metrics", "/api/openapi.json"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def printable(text: str, limit: int = 100) -> str:
    """``text`` cut to ``limit`` and safe to store: a lone surrogate from a hostile
    request (aiohttp keeps undecodable bytes that way) becomes a backslash escape."""
    return text[:limit].encode("utf-8", "backslashreplace").decode("utf-8")


async def _server_header(request: web.Request, response: web.StreamResponse) -> None:
    # aiohttp's default names Python's and its own versions, a gift to scanners.
    response.headers["Server"] = SERVER


def _hide_server_versions() -> None:
    """Answers aiohttp makes itself, before any application sees the request (a malformed
    request line or header), take the default ``Server`` value, which has no public
    setting: replace it, for every aiohttp server in this process (all of them are ours)."""
    from aiohttp import web_response

    if hasattr(web_response, "SERVER_SOFTWARE"):
        web_response.SERVER_SOFTWARE = SERVER  # type: ignore[misc]


@dataclass
class _Refusals:
    since: datetime  # when the last audit row for this address was written
    held: int = 0  # refusals counted since then, not written


class RefusalLog:
    """Which refused API attempts get an audit row: the first from an address in each
    ``window``, carrying how many were refused since the previous row. Anyone who can
    reach the port could otherwise grow the database without limit. Pure: the caller
    writes the rows. At most ``max_addresses`` are tracked; beyond that, new addresses
    share one entry, ``"*"``.
    """

    def __init__(self, window: timedelta = timedelta(minutes=1), max_addresses: int = 1000):
        self.window = window
        self.max_addresses = max_addresses
        self._seen: dict[str, _Refusals] = {}

    def note(self, address: str, now: datetime) -> tuple[str, int] | None:
        """Count one refusal from ``address``. Returns (address, refusals) for the audit
        row to write now, or None when this refusal is only counted."""
        if address not in self._seen and len(self._seen) >= self.max_addresses:
            self._prune(now)
            if len(self._seen) >= self.max_addresses:
                address = "*"
        entry = self._seen.get(address)
        if entry is not None and now - entry.since < self.window:
            entry.held += 1
            return None
        held = entry.held if entry is not None else 0
        self._seen[address] = _Refusals(now)
        return address, held + 1

    def drain(self) -> dict[str, int]:
        """Refusals counted but not written yet, per address (at shutdown)."""
        held = {address: e.held for address, e in self._seen.items() if e.held}
        self._seen.clear()
        return held

    def _prune(self, now: datetime) -> None:
        # Only addresses with nothing held can go without losing a count.
        for address in [a for a, e in self._seen.items() if not e.held]:
            if now - self._seen[address].since >= self.window:
                del self._seen[address]


class _Snapshot:
    """A Prometheus collector over counts read for one scrape. Gauges with labels keep
    every label value ever set, so a status no longer in the outbox would be reported
    forever with its last value; this reports only what the store holds now."""

    def __init__(self, counts: Mapping[str, int], outbox: Mapping[str, Mapping[str, int]]) -> None:
        self.counts = counts
        self.outbox = outbox

    def collect(self) -> Iterator[Metric]:
        counts = self.counts
        yield GaugeMetricFamily("digestbot_articles", "Articles stored", value=counts["articles"])
        yield GaugeMetricFamily("digestbot_stories", "Stories stored", value=counts["stories"])
        subscribers = GaugeMetricFamily(
            "digestbot_subscribers", "Subscribers by state", labels=["state"]
        )
        subscribers.add_metric(["active"], counts["subscribers"])
        subscribers.add_metric(["inactive"], counts["subscribers_inactive"])
        yield subscribers
        feeds = GaugeMetricFamily("digestbot_feeds", "Feeds by state", labels=["state"])
        feeds.add_metric(["enabled"], counts["feeds"])
        feeds.add_metric(["disabled"], counts["feeds_disabled"])
        feeds.add_metric(["failing"], counts["feeds_failing"])
        yield feeds
        outbox = GaugeMetricFamily(
            "digestbot_outbox_entries", "Outbox entries", labels=["platform", "status"]
        )
        for platform, row in sorted(self.outbox.items()):
            for status, value in sorted(row.items()):
                outbox.add_metric([platform, status], value)
        yield outbox


class Api:
    def __init__(
        self,
        store: Store,
        renderer: Renderer,
        settings: Settings,
        clock: Clock,
        on_push: Callable[[], None] | None = None,
    ) -> None:
        assert settings.api_token
        self.store = store
        self.renderer = renderer
        self.settings = settings
        self.clock = clock
        self.on_push = on_push or (lambda: None)
        self._token = settings.api_token.encode()
        self.refusals = RefusalLog()

    def app(self) -> web.Application:
        app = web.Application(
            client_max_size=MAX_BODY, middlewares=[self.errors, self.auth, self.writable]
        )
        app.on_response_prepare.append(_server_header)
        _hide_server_versions()
        app.on_cleanup.append(self._flush_refusals)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        app.router.add_get("/api/openapi.json", self.openapi)
        app.router.add_post("/api/articles", self.articles)
        app.router.add_post("/api/breaking", self.push)
        app.router.add_get("/api/breaking/{id}", self.push_status)
        app.router.add_get("/api/stats", self.stats)
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
    async def errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every failure becomes one JSON error: input problems 4xx, anything else a 500
        that is logged (never aiohttp's text/plain page with a traceback's worth of hints)."""
        try:
            return await handler(request)
        except web.HTTPRequestEntityTooLarge:
            return error(413, f"body larger than {MAX_BODY} bytes")
        except web.HTTPException as exc:
            if exc.status >= 400:
                return error(exc.status, exc.reason)
            raise
        except JSONInputError as exc:
            return error(400, f"body is not acceptable JSON: {exc}")
        except (RecordError, UnicodeError, OverflowError) as exc:
            return error(422, printable(str(exc), 300))
        except Exception:
            log.exception("admin API: %s %s failed", request.method, printable(request.path))
            return error(500, "internal error")

    @web.middleware
    async def auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in PUBLIC:
            return await handler(request)
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        # A header that is not UTF-8 arrives with lone surrogates; it is simply wrong.
        tried = token.encode("utf-8", "surrogateescape")
        if scheme.lower() != "bearer" or not hmac.compare_digest(tried, self._token):
            # Refused attempts are audited too (never the token that was tried), at most
            # once a minute per address, with a count.
            now = self.clock.now()
            noted = self.refusals.note(request.remote or "?", now)
            if noted is not None:
                await self._audit_refused(
                    noted[0], f"{request.method} {request.path}", noted[1], now
                )
            return error(401, REFUSED)
        return await handler(request)

    async def _audit_refused(self, address: str, action: str, count: int, now: datetime) -> None:
        await self.store.audit(
            actor=f"api:{address}",
            platform="api",
            action=printable(action),
            outcome="refused",
            detail=REFUSED if count == 1 else f"{REFUSED} ({count} attempts)",
            now=now,
        )

    @web.middleware
    async def writable(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse writes while the database is lost: a 201 into a deleted file is a lie."""
        if request.method not in READS and request.path not in PUBLIC:
            problem = await self.store.health()
            if problem is not None:
                log.error("admin API refuses %s %s: %s", request.method, request.path, problem)
                return error(503, problem)
        return await handler(request)

    async def _json(self, request: web.Request) -> Any:
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise web.HTTPRequestEntityTooLarge(
                max_size=MAX_BODY, actual_size=request.content_length
            )
        try:
            return json_loads(await request.read())
        except JSONInputError as exc:
            raise web.HTTPBadRequest(reason=f"body is not JSON we accept: {exc}") from None

    # --- routes ---------------------------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.Response:
        problem = await self.store.health()
        if problem is not None:
            log.error("health check failed: %s", problem)
            return web.json_response({"status": "unavailable", "error": problem}, status=503)
        return web.json_response({"status": "ok"})

    async def metrics(self, request: web.Request) -> web.Response:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Snapshot(await self.store.counts(), await self.store.outbox_counts()))
        return web.Response(
            body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(OPENAPI)

    async def articles(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        records = body if isinstance(body, list) else [body]
        if not records:
            return error(422, "send one article object or a non-empty list of them")
        now = self.clock.now()
        known = [c.slug for c in await self.store.list_categories()]
        valid = []
        problems = []
        for index, record in enumerate(records):
            try:
                valid.append(validate_record(record, categories=known, now=now))
            except (RecordError, ValueError, OverflowError) as exc:  # a date past year 9999
                problems.append(f"article {index}: {exc}")
        if problems:
            return error(422, "; ".join(problems))
        created: list[str] = []
        existing: list[str] = []
        from digests.ingest.stories import store_and_group

        for item in valid:
            # Stored and grouped in one transaction; the same record posted again, from any
            # process, finds the stored article (200), never a second one.
            stored = await store_and_group(
                self.store,
                import_scope(item.article.source),
                [item.article],
                [item.category],
                now=now,
                window=self.settings.story_window,
            )
            (created if stored.counts.new else existing).append(item.article.url)
        await self.store.audit(
            actor="api",
            platform="api",
            action="articles",
            outcome="ok",
            detail=f"{len(created)} created, {len(existing)} existing",
            now=now,
        )
        return web.json_response(
            {"created": created, "existing": existing}, status=201 if created else 200
        )

    async def push(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        if not isinstance(body, dict):
            return error(422, "expected a JSON object")
        category = body.get("category")
        if not isinstance(category, str) or not category:
            return error(422, "category is required")
        article_id = body.get("article_id")
        if article_id is not None and (
            not isinstance(article_id, int)
            or isinstance(article_id, bool)
            or not 1 <= article_id <= MAX_ID
        ):
            return error(422, f"article_id must be an integer from 1 to {MAX_ID}")
        for name in ("url", "title", "summary"):
            if body.get(name) is not None and not isinstance(body[name], str):
                return error(422, f"{name} must be a string")
        confirm = body.get("confirm", False)
        if not isinstance(confirm, bool):
            return error(422, "confirm must be true or false")
        cross = body.get("cross_category", False)
        if not isinstance(cross, bool):
            return error(422, "cross_category must be true or false")
        now = self.clock.now()
        try:
            article = await breaking.resolve_article(
                self.store,
                category=category,
                now=now,
                article_id=article_id,
                url=body.get("url"),
                title=body.get("title"),
                summary=body.get("summary"),
                story_window=self.settings.story_window,
                store_new=confirm,  # a preview leaves nothing behind
            )
        except NotFound as exc:
            return error(404, str(exc))
        except breaking.BreakingError as exc:
            return error(422, str(exc))
        mismatch = breaking.other_category(article, category)
        if mismatch and not cross:
            return error(
                422,
                f'{mismatch}: send "cross_category": true to push it to {category} anyway',
            )
        story = await breaking.story_of(self.store, article, now)
        audience = len(await self.store.active_subscribers_of(category))
        if not confirm:
            shown = {
                p: format_message(
                    breaking.preview(
                        self.renderer,
                        story,
                        platform=p,
                        language=self.settings.default_language,
                        now=now,
                    ),
                    as_json=True,
                )
                for p in ("telegram", "discord")
            }
            return web.json_response(
                {
                    "status": "preview",
                    "article_id": None if breaking.is_draft(article) else article.id,
                    "subscribers": audience,
                    "preview": {p: json.loads(v) for p, v in shown.items()},
                }
            )
        try:
            report = await breaking.start_audited_push(
                self.store,
                self.renderer,
                category=category,
                article=article,
                actor="api",
                platform="api",
                now=now,
            )
        except PushBusy as exc:
            return error(409, str(exc))
        self.on_push()
        return web.json_response(report_json(report), status=202)

    async def push_status(self, request: web.Request) -> web.Response:
        raw = request.match_info["id"]
        # ASCII digits only ("²" is a digit to isdigit, not to int), and few of them.
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 19 and 1 <= int(raw) <= MAX_ID):
            return error(404, f"no breaking push {raw[:40]}")
        try:
            report = await breaking.status(self.store, int(raw), now=self.clock.now())
        except NotFound as exc:
            return error(404, str(exc))
        return web.json_response(report_json(report))

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "counts": await self.store.counts(),
                "outbox": await self.store.outbox_counts(),
                "last_dispatch_at": await self.store.get_meta("last_dispatch_at"),
            }
        )


def report_json(report: breaking.Report) -> dict[str, Any]:
    return {
        "id": report.push_id,
        "status": report.status,
        "category": report.category,
        "total": report.total,
        "delivered": report.delivered,
        "blocked": report.blocked,
        "failed": report.failed,
        "pending": report.pending,
    }


_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
_ARTICLE = {
    "type": "object",
    "required": ["url", "title", "category", "source", "published_at"],
    "properties": {
        name: {"type": "string"}
        for name in (
            "url",
            "title",
            "summary",
            "category",
            "source",
            "published_at",
            "author",
            "image",
            "guid",
        )
    },
}
_REPORT = {
    "type": "object",
    "required": ["id", "status"],
    "properties": {
        "id": {"type": "integer"},
        "status": {"type": "string"},
        "category": {"type": "string"},
        **{n: {"type": "integer"} for n in ("total", "delivered", "blocked", "failed", "pending")},
    },
}


_PREVIEW = {
    "type": "object",
    "required": ["status", "article_id", "subscribers", "preview"],
    "properties": {
        "status": {"type": "string", "enum": ["preview"]},
        # null for a new article: a preview stores nothing
        "article_id": {"type": "integer", "nullable": True},
        "subscribers": {"type": "integer"},
        "preview": {"type": "object"},
    },
}
_HEALTH = {
    "type": "object",
    "required": ["status"],
    "properties": {"status": {"type": "string"}, "error": {"type": "string"}},
}


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(c): {"description": "error", "content": {"application/json": {"schema": _ERROR}}}
        for c in codes
    }


OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "digestbot admin API", "version": "1"},
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "security": [{"bearer": []}],
    "paths": {
        "/healthz": {
            "get": {
                "summary": "Whether the database file is still the one opened, and answers",
                "security": [],
                "responses": {
                    "200": {
                        "description": "alive",
                        "content": {"application/json": {"schema": _HEALTH}},
                    },
                    "503": {
                        "description": "the database is lost or does not answer",
                        "content": {"application/json": {"schema": _HEALTH}},
                    },
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics (text exposition format)",
                "security": [],
                "responses": {
                    "200": {
                        "description": "metrics",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "the OpenAPI document",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["openapi", "info", "paths"],
                                }
                            }
                        },
                    }
                },
            }
        },
        "/api/articles": {
            "post": {
                "summary": "Add or update articles (a CMS webhook); idempotent by URL",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"oneOf": [_ARTICLE, {"type": "array", "items": _ARTICLE}]}
                        }
                    },
                },
                "responses": {
                    "200": {"description": "all existed", "content": {"application/json": {}}},
                    "201": {"description": "some created", "content": {"application/json": {}}},
                    **_errors(400, 401, 413, 422, 503),
                },
            }
        },
        "/api/breaking": {
            "post": {
                "summary": "Preview (confirm false) or start a breaking push",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["category"],
                                "properties": {
                                    "category": {"type": "string"},
                                    "article_id": {"type": "integer"},
                                    "url": {"type": "string"},
                                    "title": {"type": "string"},
                                    "summary": {"type": "string"},
                                    "confirm": {"type": "boolean"},
                                    # a stored article of other categories needs this
                                    "cross_category": {"type": "boolean"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "preview; nothing is stored",
                        "content": {"application/json": {"schema": _PREVIEW}},
                    },
                    "202": {
                        "description": "push started",
                        "content": {"application/json": {"schema": _REPORT}},
                    },
                    **_errors(400, 401, 404, 409, 413, 422, 503),
                },
            }
        },
        "/api/breaking/{id}": {
            "get": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "report",
                        "content": {"application/json": {"schema": _REPORT}},
                    },
                    **_errors(401, 404),
                },
            }
        },
        "/api/stats": {
            "get": {
                "responses": {
                    "200": {"description": "counts", "content": {"application/json": {}}},
                    **_errors(401),
                }
            }
        },
    },
}
