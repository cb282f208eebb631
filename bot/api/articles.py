"""POST /api/articles: a CMS webhook adding or updating articles, idempotent by URL."""

from __future__ import annotations

from aiohttp import web

from bot.api.body import read_json
from bot.api.deps import deps
from digests.errors import InputError
from digests.ingest.importer import RecordError, validate_record
from digests.ingest.stories import store_and_group
from digests.store import import_scope


async def post_articles(request: web.Request) -> web.Response:
    """201 when some article was created, 200 when all existed; 422 naming every bad
    record (none is stored then)."""
    ctx = deps(request)
    body = await read_json(request)
    records = body if isinstance(body, list) else [body]
    if not records:
        raise InputError("send one article object or a non-empty list of them")
    now = ctx.clock.now()
    known = [c.slug for c in await ctx.store.list_categories()]
    valid = []
    problems = []
    for index, record in enumerate(records):
        try:
            valid.append(validate_record(record, categories=known, now=now))
        except (RecordError, ValueError, OverflowError) as exc:  # a date past year 9999
            problems.append(f"article {index}: {exc}")
    if problems:
        raise InputError("; ".join(problems))
    created: list[str] = []
    existing: list[str] = []
    for item in valid:
        # Stored and grouped in one transaction; the same record posted again, from any
        # process, finds the stored article (200), never a second one.
        stored = await store_and_group(
            ctx.store,
            import_scope(item.article.source),
            [item.article],
            [item.category],
            now=now,
            window=ctx.settings.story_window,
        )
        (created if stored.counts.new else existing).append(item.article.url)
    await ctx.store.audit(
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
