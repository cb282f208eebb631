"""The console's overview page: subscribers by platform and state, today's deliveries by
outbox status (the UTC day), 429s today, the next dispatch, failing feeds and a chart of
messages sent per minute over the last 24 hours.

What a page view costs: every count is an index range or an index-only count (see
``digests.store._traffic``); the per-platform subscriber totals walk the (platform,
guild_id) index once, as /api/stats walks the (active, paused, ...) one. The chart reads
at most 24 × 60 rows per platform by their key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web
from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_decimal

from bot.web.chart import PLATFORMS, figure
from bot.web.context import console
from bot.web.i18n import _
from bot.web.render import language_of, page
from bot.web.routes import Route
from digests.store import Store
from digests.store._traffic import STATES, STATUSES, FailingFeed
from digests.terminal import printable

# Text from the store (a feed's last error can be a whole HTML page) is cut to this.
ERROR_SHOWN = 300
NAME_SHOWN = 120
FEEDS_SHOWN = 20


def shown(text: str | None, limit: int = NAME_SHOWN) -> str:
    """Store text as the console shows it (pure): controls, bidi characters and lone
    surrogates made visible as escapes, cut to ``limit`` characters with an ellipsis."""
    clean = printable(text or "")
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def numbers(language: str) -> Callable[[int], str]:
    """A whole number written the account's way (1,234 or 1.234)."""
    return lambda n: format_decimal(n, locale=language)


def day_of(now: datetime) -> tuple[datetime, datetime]:
    """The UTC day ``now`` is in, as [start, end) (pure)."""
    start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class NextDispatch:
    at: datetime
    readers: int


@dataclass(frozen=True)
class Overview:
    subscribers: dict[str, dict[str, int]]
    today: dict[str, dict[str, int]]
    limited: dict[str, int]
    next_dispatch: NextDispatch | None
    feeds: list[FailingFeed]
    failing: int


async def overview_of(store: Store, now: datetime) -> Overview:
    start, end = day_of(now)
    subscribers = await store.subscriber_states()
    for platform in PLATFORMS:
        subscribers.setdefault(platform, dict.fromkeys(STATES, 0))
    due = await store.next_due_at()
    feeds, failing = await store.failing_feeds(FEEDS_SHOWN)
    return Overview(
        subscribers=dict(sorted(subscribers.items())),
        today=await store.outbox_between(start, end),
        limited={p: 0 for p in PLATFORMS} | await store.limited_since(start),
        next_dispatch=NextDispatch(due, await store.due_in_minute(due)) if due else None,
        feeds=feeds,
        failing=failing,
    )


def when(at: datetime, now: datetime, language: str) -> str:
    """An instant as the overview says it: its UTC time and how far away (pure)."""
    stamp = format_datetime(at.astimezone(UTC), "yyyy-MM-dd HH:mm", tzinfo=UTC, locale=language)
    relative = format_timedelta(at - now, locale=language, add_direction=True)
    return f"{stamp} UTC ({relative})"


async def show(request: web.Request) -> web.StreamResponse:
    language = language_of(request)
    ctx = console(request)
    now = ctx.deps.clock.now()
    view = await overview_of(ctx.deps.store, now)
    rows = await ctx.deps.store.send_minutes(now - timedelta(hours=24))
    kinds = {"digest": _("Digests"), "breaking": _("Breaking news")}
    return page(
        request,
        "overview.html.j2",
        title=_("Overview"),
        view=view,
        states=STATES,
        statuses=STATUSES,
        kinds=kinds,
        n=numbers(language),
        shown=shown,
        error_shown=ERROR_SHOWN,
        day=day_of(now)[0].date().isoformat(),
        next_at=when(view.next_dispatch.at, now, language) if view.next_dispatch else "",
        chart=figure(rows, end=now, language=language),
    )


ROUTES = [Route("GET", "", show, role="editor")]
