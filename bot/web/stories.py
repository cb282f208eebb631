"""The console's stories page: the latest stories with their sources and categories, a word
search, and splitting an article out of a story or merging two stories (the store's
``split_article`` / ``merge_stories``; what they mean for readers is ``digests.story_edits``)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from babel.dates import format_datetime

from bot.web.context import console, signed_in
from bot.web.i18n import _
from bot.web.render import page
from bot.web.routes import Route
from digests.errors import InputError, NotFoundError
from digests.store import AuditEntry
from digests.story_edits import ALONE, MOVED, SAME, StoryEditRefused, StoryIdInvalid, parse_id

PAGE_SIZE = 50
MAX_PAGE = 200  # a search never walks further than 10,000 stories
MAX_SEARCH = 200  # characters
MAX_WORDS = 8
SEARCH_DAYS = 30  # a search reads the articles published in this many days, no further
TEMPLATE = "stories.html.j2"


class BadInput(InputError):
    """What the editor sent cannot be used; the message is already in their language."""


def search_words(text: object) -> list[str]:
    """The words of a search box (pure): at most ``MAX_WORDS``; ``BadInput`` for text
    that is too long or holds control, format (bidi) or unpaired surrogate characters."""
    if text is None:
        return []
    if not isinstance(text, str) or len(text) > MAX_SEARCH:
        raise BadInput(_("A search has at most %(n)s characters.", n=MAX_SEARCH))
    # U+FFFD is what undecodable bytes (a lone surrogate's UTF-8 form) became on the way in.
    if "\ufffd" in text or any(
        unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in text
    ):
        raise BadInput(_("A search holds letters, digits and punctuation only."))
    return text.split()[:MAX_WORDS]


def page_number(text: object) -> int:
    if text is None:
        return 1
    try:
        number = parse_id(text)
    except StoryIdInvalid:
        raise BadInput(_("There is no such page.")) from None
    if number > MAX_PAGE:
        raise BadInput(_("There is no such page."))
    return number


def safe_href(url: str) -> str | None:
    """The article's address as a link, only when it is a web address (pure)."""
    return url if url.startswith(("https://", "http://")) else None


def _when(language: str) -> Any:
    def when(moment: datetime) -> str:
        return format_datetime(moment, "medium", tzinfo=UTC, locale=language) + " UTC"

    return when


DONE = {
    "split": lambda: _("The article is now a story of its own."),
    "merged": lambda: _("The two stories are one now."),
}


async def _render(
    request: web.Request, *, status: int = 200, problem: str | None = None, query: Any = None
) -> web.Response:
    ctx = console(request)
    query = request.query if query is None else query
    raw_q = query.get("q")
    try:
        words = search_words(raw_q)
        number = page_number(query.get("page"))
    except BadInput as exc:
        words, number, raw_q = [], 1, ""
        problem, status = str(exc), 422
    stories = await ctx.deps.store.latest_stories(
        limit=PAGE_SIZE + 1,
        offset=(number - 1) * PAGE_SIZE,
        words=words,
        published_since=ctx.deps.clock.now() - timedelta(days=SEARCH_DAYS),
    )
    done = DONE.get(str(request.query.get("done")))
    language = signed_in(request).user.language
    return page(
        request,
        TEMPLATE,
        status=status,
        title=_("Stories"),
        stories=stories[:PAGE_SIZE],
        q=" ".join(words) if words else (raw_q or "").strip()[:MAX_SEARCH],
        number=number,
        more=len(stories) > PAGE_SIZE and number < MAX_PAGE,
        done=done() if done and problem is None else None,
        problem=problem,
        when=_when(language),
        href=safe_href,
        search_days=SEARCH_DAYS,
    )


async def show(request: web.Request) -> web.StreamResponse:
    return await _render(request)


def _printable(text: str) -> str:
    """Form text fit for the audit log: what is not printable (controls, bidi marks, lone
    surrogates) becomes "?" (pure)."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _refusal(exc: Exception) -> tuple[int, str]:
    """(status, the editor's words) for an edit the store or the form refused."""
    if isinstance(exc, StoryIdInvalid):
        return 422, _("A story or article number is a whole number, such as 42.")
    if isinstance(exc, NotFoundError):
        return 404, _("There is no such story or article (it may have just been merged).")
    reason = getattr(exc, "reason", "")
    if reason == ALONE:
        return 422, _("That article is already a story of its own.")
    if reason == SAME:
        return 422, _("A story cannot be merged with itself.")
    if reason == MOVED:
        return 409, _("That article has moved to another story since; reload the page.")
    return 422, _("That change could not be made.")


async def _edit(request: web.Request, action: str, fields: tuple[str, str]) -> web.StreamResponse:
    session = signed_in(request)
    ctx = console(request)
    form = await request.post()
    raw = [form.get(name) for name in fields]
    target = _printable(" ".join(v[:40] for v in raw if isinstance(v, str)))
    now = ctx.deps.clock.now()

    def audited(target: str, detail: str) -> AuditEntry:
        return AuditEntry(now, session.user.name, "console", action, target, "ok", detail)

    try:
        first, second = (parse_id(v) for v in raw)
        if action == "story-split":
            # The edit and its audit row are one transaction: never one without the other.
            await ctx.deps.store.split_article(
                first,
                from_story=second,
                audit_of=lambda d: audited(
                    f"article {first} of story {second}", f"new story {d.new_story}"
                ),
            )
        else:
            await ctx.deps.store.merge_stories(
                first,
                second,
                audit_of=lambda d: audited(f"stories {first}, {second}", f"kept story {d.kept}"),
            )
    except (StoryIdInvalid, NotFoundError, StoryEditRefused) as exc:
        status, problem = _refusal(exc)
        await ctx.deps.store.audit(
            actor=session.user.name,
            platform="console",
            action=action,
            target=target or None,
            outcome="refused",
            detail=getattr(exc, "reason", None) or type(exc).__name__,
            now=now,
        )
        return await _render(request, status=status, problem=problem, query={})
    done = "split" if action == "story-split" else "merged"
    raise web.HTTPSeeOther(f"/console/stories?done={done}")


async def split(request: web.Request) -> web.StreamResponse:
    return await _edit(request, "story-split", ("article", "story"))


async def merge(request: web.Request) -> web.StreamResponse:
    return await _edit(request, "story-merge", ("story", "other"))


ROUTES = [
    Route("GET", "/stories", show, role="editor"),
    Route("POST", "/stories/split", split, role="editor"),
    Route("POST", "/stories/merge", merge, role="editor"),
]
