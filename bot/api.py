"""The admin HTTP API for newsrooms (aiohttp), served by ``digestbot run`` when API_TOKEN
is set: a CMS webhook for articles, breaking pushes, stats, health and Prometheus metrics.

Every /api route but the OpenAPI document needs ``Authorization: Bearer <API_TOKEN>``
(compared in constant time). Bodies over 1 MB get 413; every error is JSON
``{"error": "..."}`` with 400/401/404/409/413/422 as fits.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.console import format_message
from digests import breaking
from digests.ingest.importer import RecordError, validate_record
from digests.render import Renderer
from digests.settings import Settings
from digests.store import NotFound, PushBusy, Store, import_scope
from digests.timeutil import Clock

MAX_BODY = 1024 * 1024
MAX_ID = 2**63 - 1  # SQLite's largest integer
PUBLIC = frozenset({"/healthz", "/metrics", "/api/openapi.json"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


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
        self.registry = CollectorRegistry()
        self.gauges = {
            "articles": Gauge("digestbot_articles", "Articles stored", registry=self.registry),
            "stories": Gauge("digestbot_stories", "Stories stored", registry=self.registry),
            "subscribers": Gauge(
                "digestbot_subscribers", "Subscribers by state", ["state"], registry=self.registry
            ),
            "feeds": Gauge("digestbot_feeds", "Feeds by state", ["state"], registry=self.registry),
            "outbox": Gauge(
                "digestbot_outbox_entries",
                "Outbox entries",
                ["platform", "status"],
                registry=self.registry,
            ),
        }

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY, middlewares=[self.errors, self.auth])
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)
        app.router.add_get("/api/openapi.json", self.openapi)
        app.router.add_post("/api/articles", self.articles)
        app.router.add_post("/api/breaking", self.push)
        app.router.add_get("/api/breaking/{id}", self.push_status)
        app.router.add_get("/api/stats", self.stats)
        return app

    @web.middleware
    async def errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPRequestEntityTooLarge:
            return error(413, f"body larger than {MAX_BODY} bytes")
        except web.HTTPException as exc:
            if exc.status >= 400:
                return error(exc.status, exc.reason)
            raise

    @web.middleware
    async def auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in PUBLIC:
            return await handler(request)
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), self._token):
            # Refused attempts are audited too (never the token that was tried).
            await self.store.audit(
                actor=f"api:{request.remote or '?'}",
                platform="api",
                action=f"{request.method} {request.path}"[:100],
                outcome="refused",
                detail="missing or wrong bearer token",
                now=self.clock.now(),
            )
            return error(401, "missing or wrong bearer token")
        return await handler(request)

    async def _json(self, request: web.Request) -> Any:
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise web.HTTPRequestEntityTooLarge(
                max_size=MAX_BODY, actual_size=request.content_length
            )
        try:
            return json.loads(await request.read())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise web.HTTPBadRequest(reason=f"body is not JSON: {exc}") from None

    # --- routes ---------------------------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.Response:
        await self.store.schema_version()  # the database answers
        return web.json_response({"status": "ok"})

    async def metrics(self, request: web.Request) -> web.Response:
        counts = await self.store.counts()
        self.gauges["articles"].set(counts["articles"])
        self.gauges["stories"].set(counts["stories"])
        self.gauges["subscribers"].labels("active").set(counts["subscribers"])
        self.gauges["subscribers"].labels("inactive").set(counts["subscribers_inactive"])
        self.gauges["feeds"].labels("enabled").set(counts["feeds"])
        self.gauges["feeds"].labels("disabled").set(counts["feeds_disabled"])
        self.gauges["feeds"].labels("failing").set(counts["feeds_failing"])
        for platform, row in (await self.store.outbox_counts()).items():
            for status, value in row.items():
                self.gauges["outbox"].labels(platform, status).set(value)
        return web.Response(
            body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
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
            except RecordError as exc:
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
            )
        except NotFound as exc:
            return error(404, str(exc))
        except breaking.BreakingError as exc:
            return error(422, str(exc))
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
                    "article_id": article.id,
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
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
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
        "/healthz": {"get": {"security": [], "responses": {"200": {"description": "alive"}}}},
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
                    **_errors(400, 401, 413, 422),
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
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {"description": "preview", "content": {"application/json": {}}},
                    "202": {
                        "description": "push started",
                        "content": {"application/json": {"schema": _REPORT}},
                    },
                    **_errors(400, 401, 404, 409, 413, 422),
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
