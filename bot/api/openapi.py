"""The OpenAPI 3 document of the admin API, served at /api/openapi.json without a token.
Each route's error statuses are the ones the error table (``bot.api.errors``) can give it."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from digests.stats import CROWDS_SHOWN

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
            "language",
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


_NULLABLE_URL = {"type": "string", "nullable": True}
_LINK = {
    "type": "object",
    "required": ["kind", "payload", "name", "categories", "source", "telegram", "discord", "html"],
    "properties": {
        "kind": {"type": "string", "enum": ["category", "code"]},
        # the /start payload: a category's slug or a code from `digestbot links add`
        "payload": {"type": "string"},
        "name": {"type": "string"},
        "categories": {"type": "array", "items": {"type": "string"}},
        "source": {"type": "string"},
        # null without TELEGRAM_BOT_USERNAME before the bot has connected
        "telegram": {
            "type": "object",
            "nullable": True,
            "required": ["private", "group"],
            "properties": {"private": {"type": "string"}, "group": {"type": "string"}},
        },
        "discord": {
            "type": "object",
            "required": ["install", "command"],
            "properties": {"install": _NULLABLE_URL, "command": {"type": "string"}},
        },
        # an <a> button for the article template, every value HTML-escaped
        "html": _NULLABLE_URL,
    },
}
_LINKS = {
    "type": "object",
    "required": ["telegram_username", "discord_application_id", "missing", "links"],
    "properties": {
        "telegram_username": {"type": "string", "nullable": True},
        "discord_application_id": {"type": "string", "nullable": True},
        # one line per kind of link that cannot be made yet, naming the setting
        "missing": {"type": "array", "items": {"type": "string"}},
        "links": {"type": "array", "items": _LINK},
    },
}
_SIGNUP = {
    "type": "object",
    "required": ["link", "source", "count"],
    "properties": {
        "link": {"type": "string"},
        "source": {"type": "string"},
        "count": {"type": "integer"},
    },
}
_CROWD = {
    "type": "object",
    "required": [
        "platform",
        "due_at",
        "readers",
        "lead_seconds",
        "latest_arrival_seconds",
        "on_time",
    ],
    "properties": {
        "platform": {"type": "string"},
        "due_at": {"type": "string", "format": "date-time"},
        "readers": {"type": "integer", "minimum": 1},
        "lead_seconds": {"type": "integer", "minimum": 0},
        "latest_arrival_seconds": {"type": "integer"},
        "on_time": {"type": "boolean"},
    },
}

_SUMMARIES = {
    "type": "object",
    "required": [
        "enabled",
        "day",
        "calls",
        "prompt_tokens",
        "completion_tokens",
        "tokens",
        "cache_hits",
        "fallbacks",
        "budget",
        "budget_left",
    ],
    "properties": {
        "enabled": {"type": "boolean"},
        "day": {"type": "string", "format": "date"},
        "calls": {"type": "integer", "minimum": 0},
        "prompt_tokens": {"type": "integer", "minimum": 0},
        "completion_tokens": {"type": "integer", "minimum": 0},
        "tokens": {"type": "integer", "minimum": 0},
        "cache_hits": {"type": "integer", "minimum": 0},
        "fallbacks": {"type": "object", "additionalProperties": {"type": "integer"}},
        "budget": {"type": "integer", "minimum": 0},
        "budget_left": {"type": "integer", "minimum": 0},
    },
}

_STATS = {
    "type": "object",
    "required": [
        "counts",
        "outbox",
        "last_dispatch_at",
        "signups",
        "processes",
        "forecast",
        "summaries",
    ],
    "properties": {
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "outbox": {"type": "object"},
        "last_dispatch_at": {"type": "string", "nullable": True},
        # chats whose first subscription came through a Telegram subscribe link
        "signups": {"type": "array", "items": _SIGNUP},
        # every process sharing the database, with its roles and last heartbeat
        "processes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "name",
                    "roles",
                    "in_flight",
                    "started_at",
                    "heartbeat_at",
                    "seconds_since_heartbeat",
                    "stale",
                ],
            },
        },
        # readers due at one minute on one platform in the next hours: how early they
        # are dispatched, and their expected latest arrival after their minute
        "forecast": {
            "type": "object",
            "required": ["hours", "crowds", "more"],
            "properties": {
                "hours": {"type": "integer"},
                "more": {"type": "integer", "minimum": 0},
                "crowds": {"type": "array", "maxItems": CROWDS_SHOWN, "items": _CROWD},
            },
        },
        # the model's day (UTC): calls, tokens, cache hits, fallbacks by reason, budget left
        "summaries": _SUMMARIES,
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
        "/healthz": {
            "get": {
                "summary": "Whether the database file is still the one opened and answers, and "
                "the delivery worker runs",
                "security": [],
                "responses": {
                    "200": {
                        "description": "alive",
                        "content": {"application/json": {"schema": _HEALTH}},
                    },
                    "503": {
                        "description": "the database is lost or does not answer, or the delivery "
                        "worker is down (it is being restarted)",
                        "content": {"application/json": {"schema": _HEALTH}},
                    },
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics (text exposition format); with a model "
                "configured, today's (UTC) digestbot_llm_* calls, tokens, cache hits, "
                "fallbacks by reason and budget left",
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
                    "200": {
                        "description": "counts",
                        "content": {"application/json": {"schema": _STATS}},
                    },
                    **_errors(401),
                }
            }
        },
        "/api/links": {
            "get": {
                "summary": "The subscribe links of every live category and link code, as "
                "`digestbot links` prints them, without the QR codes",
                "responses": {
                    "200": {
                        "description": "links",
                        "content": {"application/json": {"schema": _LINKS}},
                    },
                    **_errors(401),
                },
            }
        },
    },
}


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)
