"""POST /api/breaking (preview a breaking push, or start it with ``"confirm": true``) and
GET /api/breaking/{id} (its progress). Mistakes are raised as digestbot errors; the error
table (``bot.api.errors``) answers them: 422 for a bad request, 404 for an unknown
category, article or push, 409 while another push runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.api.body import read_json
from bot.api.deps import Deps, deps
from bot.console import format_message
from digests import breaking
from digests.assemble import Story
from digests.errors import InputError, NotFoundError
from digests.models import Article

MAX_ID = 2**63 - 1  # SQLite's largest integer


@dataclass(frozen=True)
class PushRequest:
    """A POST /api/breaking body, checked."""

    category: str
    article_id: int | None
    url: str | None
    title: str | None
    summary: str | None
    confirm: bool
    cross_category: bool


def push_request(body: Any) -> PushRequest:
    """Check a request body; raises InputError saying what is wrong (pure)."""
    if not isinstance(body, dict):
        raise InputError("expected a JSON object")
    category = body.get("category")
    if not isinstance(category, str) or not category:
        raise InputError("category is required")
    article_id = body.get("article_id")
    if article_id is not None and (
        not isinstance(article_id, int)
        or isinstance(article_id, bool)
        or not 1 <= article_id <= MAX_ID
    ):
        raise InputError(f"article_id must be an integer from 1 to {MAX_ID}")
    for name in ("url", "title", "summary"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise InputError(f"{name} must be a string")
    confirm = body.get("confirm", False)
    if not isinstance(confirm, bool):
        raise InputError("confirm must be true or false")
    cross = body.get("cross_category", False)
    if not isinstance(cross, bool):
        raise InputError("cross_category must be true or false")
    url, title, summary = (body.get(name) for name in ("url", "title", "summary"))
    return PushRequest(category, article_id, url, title, summary, confirm, cross)


async def post_push(request: web.Request) -> web.Response:
    ctx = deps(request)
    asked = push_request(await read_json(request))
    now = ctx.clock.now()
    article = await breaking.resolve_article(
        ctx.store,
        category=asked.category,
        now=now,
        article_id=asked.article_id,
        url=asked.url,
        title=asked.title,
        summary=asked.summary,
        story_window=ctx.settings.story_window,
        # A new article is stored with its push (start_audited_push), or not at all: a
        # preview, or a push refused while another goes out, leaves nothing behind.
        store_new=False,
    )
    mismatch = breaking.other_category(article, asked.category)
    if mismatch and not asked.cross_category:
        raise InputError(
            f'{mismatch}: send "cross_category": true to push it to {asked.category} anyway'
        )
    story = await breaking.story_of(ctx.store, article, now)
    audience = len(await ctx.store.active_subscribers_of(asked.category))
    if not asked.confirm:
        return _preview(ctx, article, story, audience, now)
    report = await breaking.start_audited_push(
        ctx.store,
        ctx.renderer,
        category=asked.category,
        article=article,
        actor="api",
        platform="api",
        now=now,
        story_window=ctx.settings.story_window,
    )
    ctx.on_push()
    return web.json_response(report_json(report), status=202)


def _preview(
    ctx: Deps, article: Article, story: Story, audience: int, now: datetime
) -> web.Response:
    """What the push would send on each platform, and to how many; nothing is stored."""
    shown = {
        p: format_message(
            breaking.preview(
                ctx.renderer, story, platform=p, language=ctx.settings.default_language, now=now
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


async def get_push(request: web.Request) -> web.Response:
    ctx = deps(request)
    raw = request.match_info["id"]
    # ASCII digits only ("²" is a digit to isdigit, not to int), and few of them.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19 and 1 <= int(raw) <= MAX_ID):
        raise NotFoundError(f"no breaking push {raw[:40]}")
    report = await breaking.status(ctx.store, int(raw), now=ctx.clock.now())
    return web.json_response(report_json(report))


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
