"""The console's breaking-news page: pick a category and a stored article or enter a new one
(step 1), preview it as readers will see it (step 2), confirm (step 3), then watch the
push's progress live and cancel it (``bot.web.breaking_push``).

It calls the same core functions as POST /api/breaking and the chat commands
(``digests.breaking``): a preview stores nothing (``store_new=False``), and a new article
is stored only with its push, in one transaction.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.api.errors import answer_for, printable
from bot.web import breaking_form, breaking_push
from bot.web.breaking_form import Asked
from bot.web.context import console, signed_in
from bot.web.i18n import _
from bot.web.render import page
from bot.web.routes import Route
from digests import breaking
from digests.errors import InputError
from digests.models import Article
from digests.store import PushBusy

# Articles offered in the list, per category (older ones are named by id).
LISTED_ARTICLES = 30
LISTED_PUSHES = 20
PLATFORMS = ("telegram", "discord")
# A confirmed preview's token → its push: a Confirm pressed twice (or posted again from the
# browser's history) shows the push the first press started instead of starting another.
# Kept in this process only: the console is served by one process, and the store's rule of
# one push per category at a time still refuses a second push made anywhere else.
_CONFIRMED: OrderedDict[str, int] = OrderedDict()
_CONFIRMED_KEPT = 1000
_CONFIRMING: dict[str, asyncio.Lock] = {}


async def _choices(request: web.Request) -> dict[str, Any]:
    """What step 1 offers: the live categories, each with its latest articles, and the
    latest pushes."""
    store = console(request).deps.store
    categories = await store.list_categories()
    articles = {c.slug: await store.latest_articles_of(c.slug, LISTED_ARTICLES) for c in categories}
    pushes = await store.latest_pushes(LISTED_PUSHES)
    return {
        "categories": categories,
        "articles": articles,
        "pushes": [breaking_push.listed(row) for row in pushes],
    }


async def _step_one(
    request: web.Request, values: dict[str, str], *, status: int = 200, problem: str | None = None
) -> web.Response:
    return page(
        request,
        "breaking.html.j2",
        status=status,
        title=_("Breaking news"),
        values=values,
        problem=problem,
        **await _choices(request),
    )


async def show(request: web.Request) -> web.StreamResponse:
    # The preview's Back link carries the fields, so nothing typed is lost.
    return await _step_one(request, breaking_form.refill(request.query))


def _refusal(exc: Exception) -> tuple[int, str] | None:
    """(status, one line) for a refusal of the core or the form; None for a bug."""
    answer = answer_for(exc)
    return None if answer is None else (answer[0], printable(answer[1], 300))


async def _resolve(asked: Asked, request: web.Request) -> Article:
    ctx = console(request)
    return await breaking.resolve_article(
        ctx.deps.store,
        category=asked.category,
        now=ctx.deps.clock.now(),
        article_id=asked.article_id,
        url=asked.url,
        title=asked.title,
        summary=asked.summary,
        story_window=ctx.deps.settings.story_window,
        store_new=False,  # stored with its push, or not at all
    )


async def _asked(
    request: web.Request, *, audited: bool = False
) -> tuple[Asked, Article] | web.Response:
    """The form's push and its article, or step 1 again saying why not (a refused Confirm
    is audited)."""
    form = await request.post()
    try:
        asked = breaking_form.read(form)
        return asked, await _resolve(asked, request)
    except Exception as exc:
        refusal = _refusal(exc)
        if refusal is None:
            raise
        values = breaking_form.refill(form)
        if audited:
            await _audit_refusal(request, values["category"], refusal[1])
        return await _step_one(request, values, status=refusal[0], problem=refusal[1])


async def _audit_refusal(request: web.Request, category: str, line: str) -> None:
    ctx = console(request)
    await ctx.deps.store.audit(
        actor=signed_in(request).user.name,
        platform="console",
        action="breaking",
        target=category or None,
        outcome="refused",
        detail=line,
        now=ctx.deps.clock.now(),
    )


def _mismatch(asked: Asked, article: Article) -> str | None:
    """The API's cross-category warning, or None."""
    mismatch = breaking.other_category(article, asked.category)
    return mismatch and _(
        "%(why)s: tick “Push it to %(category)s anyway” to go on.",
        why=mismatch,
        category=asked.category,
    )


async def _preview_page(
    request: web.Request, asked: Asked, article: Article, *, status: int = 200, problem: str = ""
) -> web.Response:
    ctx = console(request)
    now = ctx.deps.clock.now()
    story = await breaking.story_of(ctx.deps.store, article, now)
    language = ctx.deps.settings.default_language
    shown = {
        p: breaking.preview(ctx.deps.renderer, story, platform=p, language=language, now=now)
        for p in PLATFORMS
    }
    return page(
        request,
        "breaking_preview.html.j2",
        status=status,
        title=_("Breaking news: preview"),
        asked=asked,
        fields=asked.fields(),
        token=asked.token or secrets.token_urlsafe(16),
        article=article,
        new=breaking.is_draft(article),
        audience=len(await ctx.deps.store.active_subscribers_of(asked.category)),
        reader_language=breaking_push.language_name(language),
        back=urlencode(asked.fields()),
        warning=_mismatch(asked, article),
        problem=problem,
        **breaking_push.drawn(shown),
    )


async def preview(request: web.Request) -> web.StreamResponse:
    found = await _asked(request)
    if isinstance(found, web.Response):
        return found
    asked, article = found
    return await _preview_page(request, asked, article)


async def confirm(request: web.Request) -> web.StreamResponse:
    found = await _asked(request, audited=True)
    if isinstance(found, web.Response):
        return found
    asked, article = found
    if not asked.token:  # a form from no preview: the store's rule alone guards it
        return await _start(request, asked, article)
    # Presses of one preview's Confirm wait for each other: the second sees the push
    # the first started.
    lock = _CONFIRMING.setdefault(asked.token, asyncio.Lock())
    try:
        async with lock:
            if asked.token in _CONFIRMED:
                raise web.HTTPSeeOther(f"/console/breaking/{_CONFIRMED[asked.token]}")
            return await _start(request, asked, article)
    finally:
        if not lock.locked():
            _CONFIRMING.pop(asked.token, None)


async def _start(request: web.Request, asked: Asked, article: Article) -> web.Response:
    """Start the push (audited), wake the delivery worker, show its progress page."""
    ctx = console(request)
    warning = _mismatch(asked, article)
    if warning and not asked.cross_category:
        await _audit_refusal(request, asked.category, warning)
        return await _preview_page(request, asked, article, status=422, problem=warning)
    try:
        report = await breaking.start_audited_push(
            ctx.deps.store,
            ctx.deps.renderer,
            category=asked.category,
            article=article,
            actor=signed_in(request).user.name,
            platform="console",
            now=ctx.deps.clock.now(),
            story_window=ctx.deps.settings.story_window,
        )
    except PushBusy:
        return await breaking_push.busy(request, asked.category)
    except InputError as exc:  # the article was refused as it was stored
        return await _refused_push(request, asked, exc)
    ctx.deps.on_push()  # wakes the delivery worker
    if asked.token:
        _CONFIRMED[asked.token] = report.push_id
        while len(_CONFIRMED) > _CONFIRMED_KEPT:
            _CONFIRMED.popitem(last=False)
    raise web.HTTPSeeOther(f"/console/breaking/{report.push_id}")


async def _refused_push(request: web.Request, asked: Asked, exc: InputError) -> web.Response:
    line = printable(str(exc), 300)
    await _audit_refusal(request, asked.category, line)
    values = {**dict.fromkeys(breaking_form.FIELDS, ""), **asked.fields()}
    return await _step_one(request, values, status=422, problem=line)


ROUTES = [
    Route("GET", "/breaking", show, role="editor"),
    Route("POST", "/breaking/preview", preview, role="editor"),
    Route("POST", "/breaking/confirm", confirm, role="editor"),
    *breaking_push.ROUTES,
]
