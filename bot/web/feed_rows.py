"""What the feeds page shows of each feed, decided without I/O: its state (ok, failing,
disabled and why), its last error cut short, and its times and article count written with
Babel in the account's language ("in 3 minutes", "3 phút trước"). Every text a feed's
server sent (title, error) has its control and bidi characters escaped visibly, as the
command line prints them, before the template escapes it for HTML."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_decimal

from bot.web.i18n import _
from digests.store import REMOVED_REASON
from digests.store._feed_health import FeedHealth
from digests.terminal import printable

# How much of a feed's last error the table shows (the store keeps 500 characters).
ERROR_CHARS = 200
# The reason a feed disabled from the console carries, followed by the editor's name.
CONSOLE_REASON = "disabled in the console by "


@dataclass(frozen=True)
class When:
    """A moment as the page shows it: relative text, the exact time, and ISO for <time>."""

    iso: str
    relative: str
    exact: str


@dataclass(frozen=True)
class FeedRow:
    id: int
    name: str
    url: str
    link: bool  # only an http(s) URL is made a link
    categories: tuple[str, ...]
    state: str  # "ok", "failing" or "disabled"
    state_text: str
    last_error: str | None
    last_error_at: When | None
    last_fetched: When | None
    next_poll: When | None
    due_now: bool
    articles: int
    articles_text: str


def shown(text: str | None, limit: int | None = None) -> str:
    """A stranger's text, cut to ``limit`` characters, its controls escaped (pure)."""
    if not text:
        return ""
    cut = text if limit is None or len(text) <= limit else text[:limit].rstrip() + "…"
    return printable(cut)


def when(moment: datetime | None, now: datetime, language: str) -> When | None:
    if moment is None:
        return None
    delta = moment - now
    # Babel says "in 0 seconds" for a moment that is now.
    near = abs(delta) < timedelta(seconds=5)
    return When(
        iso=moment.astimezone(UTC).isoformat(),
        relative=_("just now")
        if near
        else format_timedelta(delta, add_direction=True, locale=language),
        exact=format_datetime(moment, "medium", tzinfo=UTC, locale=language) + " UTC",
    )


def reason_text(reason: str | None) -> str:
    """Why a feed is disabled, in the page's language where the words are the store's own."""
    if not reason:
        return ""
    if reason == REMOVED_REASON:
        return _("removed from the feed list")
    if reason.startswith(CONSOLE_REASON):
        return _("disabled in the console by %(name)s", name=shown(reason[len(CONSOLE_REASON) :]))
    return shown(reason, ERROR_CHARS)


def state_of(health: FeedHealth) -> tuple[str, str]:
    """(state, its text): disabled (with why), failing (with how many times), or ok."""
    feed = health.feed
    if feed.disabled:
        reason = reason_text(feed.disabled_reason)
        return "disabled", _("disabled: %(reason)s", reason=reason) if reason else _("disabled")
    if feed.consecutive_errors > 0:
        return "failing", _("failing (errors in a row: %(n)s)", n=feed.consecutive_errors)
    return "ok", _("ok")


def feed_row(
    health: FeedHealth, names: Mapping[str, str], *, now: datetime, language: str
) -> FeedRow:
    feed = health.feed
    state, text = state_of(health)
    due = not feed.disabled and (feed.next_fetch_at is None or feed.next_fetch_at <= now)
    return FeedRow(
        id=feed.id,
        name=shown(feed.display_name, ERROR_CHARS),
        url=feed.url,
        link=feed.url.startswith(("http://", "https://")),
        categories=tuple(names.get(slug, slug) for slug in feed.categories),
        state=state,
        state_text=text,
        last_error=shown(feed.last_error, ERROR_CHARS) or None,
        last_error_at=when(feed.last_error_at, now, language) if feed.last_error else None,
        last_fetched=when(feed.last_fetched_at, now, language),
        next_poll=None if feed.disabled or due else when(feed.next_fetch_at, now, language),
        due_now=due,
        articles=health.articles,
        articles_text=format_decimal(health.articles, locale=language),
    )


def feed_rows(
    health: Sequence[FeedHealth], names: Mapping[str, str], *, now: datetime, language: str
) -> list[FeedRow]:
    """The table's rows: failing feeds first (what an editor looks for), then the enabled,
    then the disabled, each by name."""
    rows = [feed_row(h, names, now=now, language=language) for h in health]
    order = {"failing": 0, "ok": 1, "disabled": 2}
    return sorted(rows, key=lambda r: (order[r.state], r.name.casefold(), r.id))
