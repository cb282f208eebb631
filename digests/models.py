"""Plain data the core passes around: what the store returns and the pipeline consumes.

These are frozen dataclasses with no behaviour beyond small derived properties, so that
decision functions stay pure and easy to test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Platform(StrEnum):
    TELEGRAM = "telegram"
    DISCORD = "discord"
    CONSOLE = "console"


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKDAYS = "weekdays"
    WEEKLY = "weekly"


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    description: str = ""
    position: int = 0
    # When the category left the feeds file; readers see only categories without one.
    retired_at: datetime | None = None


@dataclass(frozen=True)
class Feed:
    id: int
    url: str
    categories: tuple[str, ...]
    name: str | None
    title: str | None
    interval: timedelta
    priority: int
    etag: str | None
    last_modified: str | None
    consecutive_errors: int
    last_error: str | None
    last_error_at: datetime | None
    last_fetched_at: datetime | None
    next_fetch_at: datetime | None
    disabled: bool
    disabled_reason: str | None
    # Who added it ('file', 'cli', 'import', 'api': the admin API or the web console): only
    # the feeds file's own are disabled when they leave the file.
    origin: str = "file"

    @property
    def display_name(self) -> str:
        """What readers see as the source: the configured name, else the feed's title."""
        return self.name or self.title or self.url


@dataclass(frozen=True)
class NewArticle:
    """A normalised article ready for the store (from a feed, an import or the API)."""

    url: str
    title: str
    summary: str
    source: str
    published_at: datetime | None
    guid: str | None = None
    author: str | None = None
    image_url: str | None = None
    word_count: int = 0
    # False when the source gave no date and the item may be old: such an article is kept
    # (so it is never "new" again) but never offered to a digest.
    date_known: bool = True
    # The normalised title tokens that story clustering compares; filled by ingest.
    title_key: str = ""
    # ISO 639-1 code (``en``, ``vi``): the feed's declared language, else detected from
    # the text at ingest (``digests.language``); None when neither could tell.
    language: str | None = None


@dataclass(frozen=True)
class Article:
    """An article as stored; ``id`` is its place in the order articles entered the store."""

    id: int
    feed_id: int | None
    url: str
    title: str
    summary: str
    source: str
    categories: tuple[str, ...]
    published_at: datetime
    fetched_at: datetime
    story_id: int
    priority: int = 0
    author: str | None = None
    image_url: str | None = None
    word_count: int = 0
    language: str | None = None


@dataclass(frozen=True)
class StoredArticleRef:
    """A newly stored article, as story clustering needs to see it."""

    id: int
    scope: str
    title: str
    title_key: str
    published_at: datetime


@dataclass(frozen=True)
class StoryMember:
    """An article already in a recent story: what a new article is compared against."""

    story_id: int
    article_id: int
    scope: str
    title_key: str


@dataclass(frozen=True)
class IngestCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: IngestCounts) -> IngestCounts:
        return IngestCounts(
            self.new + other.new, self.updated + other.updated, self.unchanged + other.unchanged
        )


@dataclass(frozen=True, order=True)
class Subscription:
    category: str
    keywords: tuple[str, ...] = ()


# How a chat made inactive because the reader blocked the bot starts its inactive_reason:
# digests.deliver writes "delivery refused <n> times: <why>", the Telegram adapter "blocked
# by the user" when told so. A message from that chat shows it is open again.
BLOCKED_REASONS = ("delivery refused", "blocked by the user")

# How much of a change's description (``Subscriber.last_change``) is kept.
CHANGE_CHARS = 120


@dataclass(frozen=True)
class Subscriber:
    id: int
    platform: str
    chat_id: str
    guild_id: str | None = None
    thread_id: str | None = None
    language: str = "en"
    timezone: str = "UTC"
    digest_time: str = "08:00"
    frequency: Frequency = Frequency.DAILY
    weekly_day: int | None = None
    active: bool = True
    paused: bool = False
    inactive_reason: str | None = None
    created_at: datetime | None = None
    cursor_article_id: int | None = None
    last_digest_at: datetime | None = None
    next_digest_at: datetime | None = None
    subscriptions: tuple[Subscription, ...] = field(default=())
    set_up_by: str | None = None
    breaking_role: str | None = None
    # The last change to this chat's digest: what (short), who ("telegram:123"), when.
    last_change: str | None = None
    changed_by: str | None = None
    changed_at: datetime | None = None

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(s.category for s in self.subscriptions)


@dataclass(frozen=True)
class OutboxEntry:
    """A digest or breaking item waiting in (or taken from) the delivery outbox."""

    id: int
    subscriber_id: int
    kind: str
    period: str
    priority: int
    platform: str
    chat_id: str
    thread_id: str | None
    payload_ids: tuple[int, ...]
    parts_sent: int
    story_ids: tuple[int, ...]
    cursor: int | None
    attempts: int
    plain_fallback: bool
    status: str = "sending"
    breaking_role: str | None = None
    # A Discord announcement channel: what is accepted there is then published.
    announcement: bool = False


@dataclass(frozen=True)
class Gloss:
    """A model's summary of one story for readers of one language, checked and ready: what
    a digest shows instead of the lead article's own title and summary."""

    story_id: int
    language: str
    summary: str
    # The title in the reader's language (a translation); None keeps the lead's title.
    title: str | None = None
    # True when the story's articles are in another language than ``language``.
    translated: bool = False


@dataclass(frozen=True)
class SummaryState:
    """What the store holds for one (story, language): enough to decide whether to call
    the model again (``digests.summaries.plan``)."""

    story_id: int
    language: str
    input_hash: str
    article_ids: tuple[int, ...]
    status: str  # "ready" (a Gloss exists) or "failed" (checked and refused, or gave up)
    attempts: int  # model calls made for this input_hash
    updated_at: datetime


@dataclass(frozen=True)
class SummaryRecord:
    """One outcome of summarising a story for a language, as the worker stores it. A
    record with the same input_hash as the stored one adds to its attempts; a new hash
    starts them again at 1."""

    story_id: int
    language: str
    input_hash: str
    article_ids: tuple[int, ...]
    status: str  # "ready" or "failed"
    at: datetime
    summary: str | None = None
    title: str | None = None
    translated: bool = False
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Why a "failed" record failed (a fallback reason, digests.summaries.check).
    reason: str | None = None
