"""The ingest pipeline: poll due feeds, normalise their items, store them, cluster stories.

One bad feed never stops the others: every failure (a fetch or parse error, a deadline hit,
or a bug in its handling) is recorded on its feed with a backoff, and a feed failing
``max_errors`` times in a row is disabled with the reason. One bad item never fails its
feed: it is left out and counted in ``PollReport.skipped_items``. ``FeedPoller`` polls each
due feed as a task of its own, so that a slow feed never delays another.
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
from digests.ingest.normalise import entry_to_article, html_to_text
from digests.ingest.parse import FeedParseError, ParsedFeed, parse_feed
from digests.ingest.stories import group_orphans, store_and_group
from digests.language import detector_loaded, first_declared, load_detector
from digests.models import Feed, IngestCounts, NewArticle, StoredArticleRef
from digests.safejson import find_problem
from digests.settings import Settings
from digests.store import Store, feed_scope
from digests.timeutil import Clock

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
    # Items whose offered picture was refused (not an image, not http(s), too long); the
    # item itself was kept without a picture.
    pictures_dropped: int = 0


def plan_retry(
    feed: Feed, error: Exception, now: datetime, max_errors: int
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
    # Capped before multiplying: a very long interval times 2**16 overflows timedelta.
    delay = min(min(feed.interval, MAX_BACKOFF) * (2 ** min(errors, 16)), MAX_BACKOFF)
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
                # Recorded like any failure: it backs off, counts toward FEED_MAX_ERRORS
                # and shows in `feeds list`, instead of leaving the feed "ok" and due.
                await _record_failure(
                    store, settings, feed, now, report, exc, f"internal error: {_one_line(exc)}"
                )
            finally:
                if progress is not None:
                    progress(feed)

    # ``one`` never raises; a failed load is left to each feed's parse to meet and record.
    await asyncio.gather(*(one(feed) for feed in todo), return_exceptions=True)
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
            timeout_s=settings.fetch.timeout_s,
        )
        parsed: ParsedFeed | None = None
        if not result.not_modified:
            # Relative links are relative to where the document was found (after redirects).
            parsed = await asyncio.to_thread(
                _parse, result.content, content_type=result.content_type, url=result.url
            )
    except (FetchError, FeedParseError) as exc:
        await _record_failure(store, settings, feed, now, report, exc, str(exc))
        return

    if parsed is None:
        report.not_modified += 1
    else:
        report.fetched += 1
        source = feed.name or parsed.title or feed.url
        articles = []
        report.skipped_items += len(parsed.skipped)
        if parsed.skipped:
            log.info(
                "feed %s: %d items left out (%s)",
                feed.url,
                len(parsed.skipped),
                "; ".join(parsed.skipped[:3]),
            )
        report.pictures_dropped += sum(entry.pictures_dropped for entry in parsed.entries)
        for entry in parsed.entries:
            try:
                article = entry_to_article(
                    entry,
                    source=html_to_text(source) or feed.url,
                    now=now,
                    first_import=feed.last_fetched_at is None,
                    feed_updated=parsed.updated,
                    feed_language=parsed.language,
                )
            except Exception:  # one item that breaks normalising is left out, not the feed
                log.exception("feed %s: an item could not be normalised", feed.url)
                article = None
            if article is None or _article_problem(article):
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


def _parse(content: bytes, *, content_type: str | None, url: str) -> ParsedFeed:
    """``parse_feed``, in a worker thread. The first feed with an entry whose language is
    declared nowhere also loads the language identifier here (about a second, once), so
    that normalising the entries on the loop does not wait; a process that only reads
    feeds declaring their language never loads it."""
    parsed = parse_feed(content, content_type=content_type, url=url)
    if not detector_loaded() and any(
        first_declared((entry.language, parsed.language)) is None for entry in parsed.entries
    ):
        load_detector()
    return parsed


async def _record_failure(
    store: Store,
    settings: Settings,
    feed: Feed,
    now: datetime,
    report: PollReport,
    error: Exception,
    reason: str,
) -> None:
    """Record a failed poll on its feed with a backoff (or disable it), and report it."""
    if not isinstance(error, FetchError | FeedParseError):
        error = RuntimeError(reason)  # the disable reason quotes it: one line, as recorded
    next_at, disable = plan_retry(feed, error, now, settings.fetch.max_errors)
    report.failed.append((feed.url, reason))
    try:
        await store.record_fetch_failure(
            feed.id, now=now, error=reason, next_fetch_at=next_at, disable_reason=disable
        )
    except Exception:  # the store itself is failing: nothing more to do for this feed
        log.exception("could not record the failure of %s", feed.url)
        return
    if disable:
        report.disabled.append((feed.url, disable))
        log.warning("feed %s %s", feed.url, disable)


def _one_line(error: Exception, limit: int = 300) -> str:
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _article_problem(article: NewArticle) -> str | None:
    """Why an article cannot be stored (text that is not valid Unicode), else None; checked
    here because the store writes a feed's articles together, and one would fail them all."""
    return find_problem(
        [
            article.url,
            article.title,
            article.summary,
            article.source,
            article.guid,
            article.author,
            article.image_url,
        ]
    )


def with_key(article: NewArticle) -> NewArticle:
    """The article with its clustering key filled in (for sources other than feeds)."""
    return dataclasses.replace(article, title_key=title_key(article.title))


class FeedPoller:
    """Polls each due feed as a task of its own: one slow feed never delays a due one.

    ``tick`` (called often; ``digestbot run`` calls it every few seconds) starts every due
    feed that is not already being polled and returns at once with the tasks it started. At
    most ``fetch.concurrency`` feeds are polled at a time, and each fetch ends within
    FETCH_TIMEOUT_SECONDS, so a feed waiting for a slot waits no longer than that. A task
    returns its feed's PollReport; it never raises.

    With ``claim``, several processes polling one database share the due feeds: each tick
    claims for ``holder``, until now + ``claim``, as many as it has free slots (renewing
    the claims of feeds still in flight here), another process's live claims are left
    alone, and a feed's claim is released when its poll ends. A process that dies leaves
    its claims to expire.
    """

    def __init__(
        self,
        store: Store,
        client: httpx.AsyncClient,
        settings: Settings,
        clock: Clock,
        *,
        on_done: Callable[[Feed, PollReport], None] | None = None,
        holder: str = "",
        claim: timedelta | None = None,
    ) -> None:
        self.store = store
        self.holder = holder
        self.claim = claim
        self.client = client
        self.settings = settings
        self.clock = clock
        self.on_done = on_done
        self._slots = asyncio.Semaphore(settings.fetch.concurrency)
        self._in_flight: dict[int, asyncio.Task[PollReport]] = {}

    @property
    def in_flight(self) -> frozenset[int]:
        """Ids of the feeds being polled (or waiting for a slot) now."""
        return frozenset(self._in_flight)

    async def tick(self) -> list[asyncio.Task[PollReport]]:
        """Start polling every due feed not already in flight; return the started tasks."""
        started = []
        # With claims, take no more than there are free slots: the rest are left for other
        # processes, and the feeds in flight here come back with their claims renewed.
        free = self.settings.fetch.concurrency - len(self._in_flight)
        due = await self.store.due_feeds(
            self.clock.now(),
            holder=self.holder,
            claim=self.claim,
            limit=None if self.claim is None else free,
        )
        for feed in due:
            if feed.id in self._in_flight:
                continue
            task = asyncio.create_task(self._poll(feed), name=f"poll feed {feed.id}")
            self._in_flight[feed.id] = task
            started.append(task)
        return started

    async def _release(self, feed: Feed) -> None:
        """Give up this process's claim on ``feed`` (its poll is over); a failure only
        leaves the claim to expire."""
        if self.claim is None:
            return
        try:
            await self.store.release_feed_claim(feed.id, self.holder)
        except Exception:
            log.exception("releasing the claim on %s failed", feed.url)

    async def wait(self) -> None:
        """Until every poll under way has finished (for tests and tools)."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight.values())

    async def _poll(self, feed: Feed) -> PollReport:
        report = PollReport()
        try:
            async with self._slots:
                # Read again: the feed may have been removed or polled while this waited.
                current = await self.store.get_feed(feed.url)
                now = self.clock.now()
                if (
                    current is None
                    or current.disabled
                    or (current.next_fetch_at is not None and current.next_fetch_at > now)
                ):
                    return report
                report = await poll_feeds(
                    self.store, self.client, self.settings, now=now, feeds=[current]
                )
        except Exception as exc:  # e.g. the store failing: logged, the next tick tries again
            log.exception("polling %s failed", feed.url)
            report.failed.append((feed.url, f"internal error: {_one_line(exc)}"))
        finally:
            # Released while still in flight here, so that a tick in between does not
            # claim it again only to have that claim released.
            try:
                await self._release(feed)
            finally:
                self._in_flight.pop(feed.id, None)
        if self.on_done is not None:
            try:
                self.on_done(feed, report)
            except Exception:
                log.exception("reporting the poll of %s failed", feed.url)
        return report
