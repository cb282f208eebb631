"""Breaking news: push one story to every active subscriber of a category, at once.

An admin names a stored article (by id or URL) or gives a title, URL and summary that are
stored as a new article of the category. ``preview`` shows exactly what readers receive;
``start_push`` enqueues it through the outbox's priority lane, keyed by (subscriber,
story) so nobody gets it twice, and the story is left out of their next digest (it is
"received or waiting"). Progress and the final report come from the outbox entries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from digests import push_entries
from digests.assemble import Story, make_story
from digests.compose import RENDER_PLATFORM
from digests.errors import InputError
from digests.ingest.importer import RecordError, import_records, validate_record
from digests.ingest.normalise import InvalidURL, canonical_url
from digests.models import Article
from digests.outgoing import OutgoingMessage

# Re-exported: the chat adapters keep previewed pushes here.
from digests.pending_pushes import PUSH_CONFIRM_SECONDS as PUSH_CONFIRM_SECONDS
from digests.pending_pushes import PendingPush as PendingPush
from digests.pending_pushes import PendingPushes as PendingPushes
from digests.render import Presentation, Renderer
from digests.store import NotFound, OutboxItem, Push, PushBusy, Store
from digests.timeutil import Clock

log = logging.getLogger(__name__)

BREAKING_SOURCE = "Breaking news"
DRAFT_ID = 0  # stored ids start at 1


class BreakingError(InputError):
    """The push cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class Report:
    """A push's outcome so far, as admins see it."""

    push_id: int
    category: str
    status: str
    total: int
    delivered: int
    blocked: int
    failed: int
    pending: int

    def line(self) -> str:
        return (
            f"push #{self.push_id} ({self.category}, {self.status}): {self.total} "
            f"subscribers: {self.delivered} delivered, {self.blocked} blocked or "
            f"cancelled, {self.failed} failed, {self.pending} pending"
        )


async def resolve_article(
    store: Store,
    *,
    category: str,
    now: datetime,
    article_id: int | None = None,
    url: str | None = None,
    title: str | None = None,
    summary: str | None = None,
    story_window: timedelta = timedelta(hours=48),
    store_new: bool = True,
) -> Article:
    """The article a push is about; raises BreakingError (or NotFound for the category).

    A new article (a URL not stored yet, with a title) is stored, or with ``store_new``
    false only checked as an import would check it and returned as a draft (``is_draft``):
    a preview that is never confirmed leaves nothing behind.
    """
    await store.require_categories([category])
    if article_id is not None:
        article = await store.get_article(article_id)
        if article is None:
            raise BreakingError(f"no article {article_id}")
        return article
    if not url:
        raise BreakingError("name an article by id, or give its URL (and a title for a new one)")
    try:
        canonical = canonical_url(url)
    except InvalidURL as exc:
        raise BreakingError(str(exc)) from None
    existing = await store.find_article_by_url(canonical)
    if existing is not None:
        return existing
    if not title:
        raise BreakingError(f"no stored article has the URL {canonical}: give a title too")
    record = {
        "url": canonical,
        "title": title,
        "summary": summary or "",
        "category": category,
        "source": BREAKING_SOURCE,
        "published_at": now.isoformat(),
    }
    if not store_new:
        try:
            new = validate_record(record, categories=[category], now=now).article
        except RecordError as exc:
            raise BreakingError(str(exc)) from None
        return Article(
            id=DRAFT_ID,
            feed_id=None,
            url=new.url,
            title=new.title,
            summary=new.summary,
            source=new.source,
            categories=(category,),
            published_at=new.published_at,
            fetched_at=now,
            story_id=DRAFT_ID,
            author=new.author,
            language=new.language,
            image_url=new.image_url,
            word_count=new.word_count,
        )
    report = await import_records(store, [(1, record)], now=now, story_window=story_window)
    if report.errors:
        raise BreakingError(report.errors[0][1])
    stored = await store.find_article_by_url(canonical)
    if stored is None:  # pragma: no cover - import_records stores or reports
        raise RecordError("the article could not be stored")
    return stored


def is_draft(article: Article) -> bool:
    """A new article shown in a preview but not stored (see ``resolve_article``)."""
    return article.id == DRAFT_ID


def other_category(article: Article, category: str) -> str | None:
    """Why pushing ``article`` to ``category`` must be asked for explicitly (the article
    belongs to other categories), or None when it belongs to ``category``."""
    if is_draft(article) or category in article.categories:
        return None
    held = ", ".join(article.categories) or "no category"
    return f"article {article.id} is in {held}, not {category}"


async def story_of(store: Store, article: Article, now: datetime) -> Story:
    if is_draft(article):
        return make_story([article], now)
    return make_story(await store.articles_of_story(article.story_id), now)


def preview(
    renderer: Renderer, story: Story, *, platform: str, language: str, now: datetime
) -> OutgoingMessage:
    """Exactly what a reader on ``platform`` in ``language`` will receive."""
    return renderer.render_breaking(
        story, RENDER_PLATFORM.get(platform, platform), Presentation(language), now
    )


@dataclass(frozen=True)
class Proposal:
    """A push an admin asked for in a chat, before they confirm it."""

    article: Article
    audience: int  # active subscribers of the category now
    shown: OutgoingMessage  # what readers on the admin's platform will get


async def propose(
    store: Store,
    renderer: Renderer,
    *,
    category: str,
    reference: str,
    title: str | None,
    platform: str,
    language: str,
    now: datetime,
    story_window: timedelta,
) -> Proposal:
    """A chat command's push: ``reference`` is a stored article's id or a URL (with
    ``title`` for one not stored yet). Raises BreakingError, or NotFound for the category."""
    reference = reference.strip()
    # An id is ASCII digits that fit SQLite's integers; anything else is taken as a URL.
    is_id = reference.isascii() and reference.isdigit() and len(reference) <= 18
    article = await resolve_article(
        store,
        category=category,
        now=now,
        article_id=int(reference) if is_id else None,
        url=None if is_id else reference,
        title=title,
        story_window=story_window,
    )
    story = await story_of(store, article, now)
    return Proposal(
        article,
        len(await store.active_subscribers_of(category)),
        preview(renderer, story, platform=platform, language=language, now=now),
    )


async def start_push(
    store: Store,
    renderer: Renderer,
    *,
    category: str,
    article: Article,
    requested_by: str,
    now: datetime,
    story_window: timedelta = timedelta(hours=48),
) -> Report:
    """Enqueue the story for every active subscriber of ``category`` who has not had it.

    A draft (see ``resolve_article``) is stored with its push in one transaction: a refused
    push leaves no article. Raises PushBusy while another push of the category goes out.
    """

    async def content_of(story: Story) -> tuple[int, list[OutboxItem]]:
        def render(platform: str, language: str) -> OutgoingMessage:
            return preview(renderer, story, platform=platform, language=language, now=now)

        return story.story_id, await push_entries.entries(store, story, category, render)

    # The push and its entries are stored together; the delivery worker marks it done
    # when its last entry finishes.
    if is_draft(article):
        push_id = await push_entries.push_new_article(
            store,
            article,
            category=category,
            content_of=content_of,
            requested_by=requested_by,
            now=now,
            story_window=story_window,
        )
        return await status(store, push_id, now=now)
    story_id, items = await content_of(await story_of(store, article, now))
    push_id, _total = await store.enqueue_push(
        items,
        category=category,
        story_id=story_id,
        article_id=article.id,
        requested_by=requested_by,
        now=now,
    )
    return await status(store, push_id, now=now)


async def start_audited_push(
    store: Store,
    renderer: Renderer,
    *,
    category: str,
    article: Article,
    actor: str,
    platform: str,
    now: datetime,
    story_window: timedelta = timedelta(hours=48),
) -> Report:
    """``start_push``, with the outcome written to the audit log (a refusal re-raises)."""
    try:
        report = await start_push(
            store,
            renderer,
            category=category,
            article=article,
            requested_by=actor,
            now=now,
            story_window=story_window,
        )
    except PushBusy as exc:
        await store.audit(
            actor=actor,
            platform=platform,
            action="breaking",
            target=category,
            outcome="refused",
            detail=str(exc),
            now=now,
        )
        raise
    await store.audit(
        actor=actor,
        platform=platform,
        action="breaking",
        target=category,
        outcome="ok",
        detail=f"push {report.push_id}, {report.total} queued",
        now=now,
    )
    return report


async def status(store: Store, push_id: int, *, now: datetime) -> Report:
    """The push's report; a push with nothing pending is marked done."""
    push = await store.get_push(push_id)
    if push is None:
        raise NotFound(f"no breaking push {push_id}")
    if push.status == "sending" and push.pending == 0:
        await store.finish_push(push_id, status="done", now=now)
        push = await store.get_push(push_id)
        assert push is not None
    return _report(push)


async def follow(
    store: Store,
    push_id: int,
    show: Callable[[Report], Awaitable[None]],
    *,
    clock: Clock,
    every_s: float,
    for_s: float,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Report | None:
    """Call ``show`` with the push's report whenever it changes, until nothing of the push
    is pending any more or ``for_s`` seconds passed (how long a chat lets the bot edit the
    message); returns the last report. A ``show`` that fails is logged, not fatal."""
    shown = ""
    report = None
    waited = 0.0
    while waited < for_s:
        await sleep(every_s)
        waited += every_s
        report = await status(store, push_id, now=clock.now())
        if report.line() != shown:
            shown = report.line()
            try:
                await show(report)
            except Exception:  # a chat hiccup must not end the following
                log.warning("could not show the progress of push %s", push_id, exc_info=True)
        # A cancelled push's sends already under way still finish: shown until they have.
        if report.status != "sending" and report.pending == 0:
            break
    return report


async def cancel(store: Store, push_id: int, *, now: datetime) -> Report:
    """Stop a push: entries not yet sent are cancelled (sends under way finish)."""
    push = await store.get_push(push_id)
    if push is None:
        raise NotFound(f"no breaking push {push_id}")
    await store.cancel_push_entries(push_id, now=now, end=True)
    return await status(store, push_id, now=now)


def _report(push: Push) -> Report:
    counts = push.counts
    return Report(
        push_id=push.id,
        category=push.category,
        status=push.status,
        total=push.total,
        delivered=counts.get("sent", 0),
        blocked=counts.get("cancelled", 0),
        failed=counts.get("dead", 0),
        pending=push.pending,
    )
