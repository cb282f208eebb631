"""The ingest pipeline: poll due feeds, normalise their items, store them, cluster stories.

One bad feed never stops the others: every failure is recorded on its feed with a backoff,
and a feed failing ``max_errors`` times in a row is disabled with the reason.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from digests.ingest.cluster import title_key
from digests.ingest.fetch import FetchError, fetch_feed
from digests.ingest.normalise import (
    InvalidURL,
    canonical_url,
    clean_title,
    html_to_text,
    resolve_published,
    summarise,
    word_count,
)
from digests.ingest.parse import FeedParseError, ParsedFeed, RawEntry, parse_feed
from digests.ingest.stories import group_orphans, store_and_group
from digests.models import Feed, IngestCounts, NewArticle, StoredArticleRef
from digests.settings import Settings
from digests.store import Store, feed_scope

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=24)


@dataclass
class PollReport:
    """What one polling round did."""

    fetched: int = 0
    not_modified: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    disabled: list[tuple[str, str]] = field(default_factory=list)
    counts: IngestCounts = field(default_factory=IngestCounts)
    skipped_items: int = 0
    stories_new: int = 0


def entry_to_article(
    entry: RawEntry,
    *,
    source: str,
    now: datetime,
    first_import: bool,
    feed_updated: datetime | None = None,
) -> NewArticle | None:
    """Normalise one feed entry; None when it has nothing to link to or no title at all."""
    link = entry.link or (entry.guid if entry.guid and entry.guid.startswith("http") else None)
    if not link:
        return None
    try:
        url = canonical_url(link)
    except InvalidURL:
        return None
    summary_text = html_to_text(entry.summary_html) or html_to_text(entry.content_html)
    title = clean_title(entry.title) or summarise(summary_text, 80)
    if not title:
        return None
    body = html_to_text(entry.content_html) if entry.content_html else summary_text
    published, known = resolve_published(
        entry.published, now=now, first_import=first_import, feed_updated=feed_updated
    )
    image = None
    if entry.image:
        try:
            image = canonical_url(entry.image)
        except InvalidURL:
            image = None
    return NewArticle(
        url=url,
        title=title,
        summary=summarise(summary_text),
        source=source,
        published_at=published,
        guid=(entry.guid or None),
        author=html_to_text(entry.author) or None,
        image_url=image,
        word_count=word_count(body),
        date_known=known,
        title_key=title_key(title),
    )


def plan_retry(
    feed: Feed, error: FetchError | FeedParseError, now: datetime, max_errors: int
) -> tuple[datetime, str | None]:
    """When to try a failing feed again, and the reason to disable it (None: keep going).

    Backoff doubles the poll interval per consecutive failure up to a day; a server's
    Retry-After is honoured when it asks for longer.
    """
    errors = feed.consecutive_errors + 1
    if isinstance(error, FetchError) and error.permanent:
        return now + feed.interval, f"disabled: {error}"
    if errors >= max_errors:
        return now + feed.interval, f"disabled after {errors} failures in a row: {error}"
    delay = min(feed.interval * (2 ** min(errors, 16)), MAX_BACKOFF)
    if isinstance(error, FetchError) and error.retry_after:
        delay = max(delay, min(error.retry_after, MAX_BACKOFF))
    return now + delay, None


async def poll_feeds(
    store: Store,
    client: httpx.AsyncClient,
    settings: Settings,
    *,
    now: datetime,
    feeds: Sequence[Feed] | None = None,
    progress: Callable[[Feed], None] | None = None,
) -> PollReport:
    """Fetch every due feed once (or the given ones), store new items, cluster them."""
    todo = list(feeds) if feeds is not None else await store.due_feeds(now)
    report = PollReport()
    created: list[StoredArticleRef] = []
    semaphore = asyncio.Semaphore(settings.fetch.concurrency)

    async def one(feed: Feed) -> None:
        async with semaphore:
            try:
                await _poll_one(store, client, settings, feed, now, report, created)
            except Exception as exc:  # a bug in one feed's handling must not stop the rest
                log.exception("unexpected error polling %s", feed.url)
                report.failed.append((feed.url, f"internal error: {exc}"))
            finally:
                if progress is not None:
                    progress(feed)

    await asyncio.gather(*(one(feed) for feed in todo))
    # Each feed's articles were grouped as they were stored; this picks up any article a
    # crash or an older version left without a story.
    report.stories_new += await group_orphans(store, now=now, window=settings.story_window)
    return report


async def _poll_one(
    store: Store,
    client: httpx.AsyncClient,
    settings: Settings,
    feed: Feed,
    now: datetime,
    report: PollReport,
    created: list[StoredArticleRef],
) -> None:
    try:
        result = await fetch_feed(
            client,
            feed.url,
            max_bytes=settings.fetch.max_bytes,
            etag=feed.etag,
            last_modified=feed.last_modified,
        )
        parsed: ParsedFeed | None = None
        if not result.not_modified:
            parsed = await asyncio.to_thread(
                parse_feed, result.content, content_type=result.content_type, url=feed.url
            )
    except (FetchError, FeedParseError) as exc:
        next_at, disable = plan_retry(feed, exc, now, settings.fetch.max_errors)
        await store.record_fetch_failure(
            feed.id, now=now, error=str(exc), next_fetch_at=next_at, disable_reason=disable
        )
        report.failed.append((feed.url, str(exc)))
        if disable:
            report.disabled.append((feed.url, disable))
            log.warning("feed %s %s", feed.url, disable)
        return

    if parsed is None:
        report.not_modified += 1
    else:
        report.fetched += 1
        source = feed.name or parsed.title or feed.url
        articles = []
        for entry in parsed.entries:
            article = entry_to_article(
                entry,
                source=html_to_text(source) or feed.url,
                now=now,
                first_import=feed.last_fetched_at is None,
                feed_updated=parsed.updated,
            )
            if article is None:
                report.skipped_items += 1
            else:
                articles.append(article)
        stored = await store_and_group(
            store,
            feed_scope(feed.id),
            articles,
            feed.categories,
            now=now,
            window=settings.story_window,
            feed_id=feed.id,
        )
        report.counts += stored.counts
        report.stories_new += stored.stories_new
        created.extend(stored.created)
    await store.record_fetch_success(
        feed.id,
        now=now,
        next_fetch_at=now + feed.interval,
        etag=result.etag,
        last_modified=result.last_modified,
        title=html_to_text(parsed.title) if parsed and parsed.title else None,
    )


def with_key(article: NewArticle) -> NewArticle:
    """The article with its clustering key filled in (for sources other than feeds)."""
    return dataclasses.replace(article, title_key=title_key(article.title))
