"""POST /api/articles: a CMS webhook adding or updating articles, idempotent by URL.

An article may name its ``language`` (a BCP 47 tag of at most 35 characters: ``en``,
``vi-VN``); one that does not is given the language detected from its title and summary.
A value that is not a language tag is a 422 naming the record, like any bad field."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from aiohttp import web

from bot.api.body import read_json
from bot.api.deps import Deps, deps
from digests.errors import InputError
from digests.ingest.importer import ImportRecord, RecordError, validate_record
from digests.ingest.stories import store_and_group
from digests.language import detector_loaded, load_detector
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
    if not detector_loaded():  # records without a language are detected: load it aside
        await asyncio.to_thread(load_detector)
    valid = []
    problems = []
    for index, record in enumerate(records):
        try:
            valid.append(validate_record(record, categories=known, now=now))
        except (RecordError, ValueError, OverflowError) as exc:  # a date past year 9999
            problems.append(f"article {index}: {exc}")
    if problems:
        raise InputError("; ".join(problems))
    created: set[int] = set()
    for batch in batches(valid):
        created.update(await _store_batch(ctx, [valid[i] for i in batch], batch, now=now))
    await ctx.store.audit(
        actor="api",
        platform="api",
        action="articles",
        outcome="ok",
        detail=f"{len(created)} created, {len(valid) - len(created)} existing",
        now=now,
    )
    return web.json_response(
        {
            "created": [v.article.url for i, v in enumerate(valid) if i in created],
            "existing": [v.article.url for i, v in enumerate(valid) if i not in created],
        },
        status=201 if created else 200,
    )


def batches(valid: Sequence[ImportRecord]) -> list[list[int]]:
    """The records' positions grouped by (scope, category), in order of first appearance:
    each group is stored in one call, as ``digestbot import`` stores (pure)."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, item in enumerate(valid):
        groups[(import_scope(item.article.source), item.category)].append(index)
    return list(groups.values())


async def _store_batch(
    ctx: Deps, items: Sequence[ImportRecord], positions: list[int], *, now: datetime
) -> set[int]:
    """Store and group one (scope, category) batch in one transaction (the same record
    posted again, from any process, finds the stored article: never a second one);
    return the positions of the records that created an article."""
    stored = await store_and_group(
        ctx.store,
        import_scope(items[0].article.source),
        [item.article for item in items],
        [items[0].category],
        now=now,
        window=ctx.settings.story_window,
    )
    if not stored.created:
        return set()
    keys = {item.article.guid or item.article.url for item in items}
    if len(stored.created) == len(keys):  # the usual case: every distinct record is new
        return set(first_of_each(items, positions))
    # Some were new, some not: which is which, by the URLs the new rows were stored under.
    urls = set()
    for ref in stored.created:
        article = await ctx.store.get_article(ref.id)
        if article is not None:
            urls.add(article.url)
    created = set()
    for position, item in zip(positions, items, strict=True):
        if item.article.url in urls:
            urls.discard(item.article.url)  # a later repeat of it is an existing article
            created.add(position)
    return created


def first_of_each(items: Sequence[ImportRecord], positions: list[int]) -> list[int]:
    """The positions of the first record of each article (a guid, else a URL, names one);
    a repeat within the batch is an existing article, as it was when each record was
    stored on its own (pure)."""
    seen: set[str] = set()
    first = []
    for position, item in zip(positions, items, strict=True):
        keys = {item.article.url, *([item.article.guid] if item.article.guid else [])}
        if not keys & seen:
            first.append(position)
        seen |= keys
    return first
