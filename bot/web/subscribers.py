"""The console's subscribers page: counts per category, platform, language and time zone,
active against inactive (paused or stopped); for admins only, the newest subscribers with
their chat ids (an editor's page never holds a chat id).

What a page view costs: categories and platforms are index counts plus index ranges over
the paused and inactive subscribers (``digests.store._traffic``); languages and time zones
are one pass over ``subscribers`` (no index holds them); the newest are read by the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from bot.web.context import console, signed_in
from bot.web.i18n import _
from bot.web.overview import numbers, shown
from bot.web.render import language_of, page
from bot.web.routes import Route

ZONES_SHOWN = 50
NEWEST_SHOWN = 100

Counts = Mapping[str, Mapping[str, int]]


@dataclass(frozen=True)
class Row:
    name: str
    active: int
    inactive: int

    @property
    def total(self) -> int:
        return self.active + self.inactive


def rows_of(counts: Counts) -> list[Row]:
    """Counts as rows, most subscribers first, then by name (pure)."""
    rows = [Row(name, c.get("active", 0), c.get("inactive", 0)) for name, c in counts.items()]
    return sorted(rows, key=lambda r: (-r.total, r.name))


def top(rows: list[Row], limit: int) -> tuple[list[Row], Row | None, int]:
    """The first ``limit`` rows, the rest summed in one row (None when there is no rest),
    and how many rows the rest holds (pure)."""
    rest = rows[limit:]
    if not rest:
        return rows, None, 0
    summed = Row("", sum(r.active for r in rest), sum(r.inactive for r in rest))
    return rows[:limit], summed, len(rest)


def platform_rows(states: Counts) -> list[Row]:
    """Platforms' (active, paused, inactive) as active against not (pure)."""
    return rows_of(
        {
            p: {"active": c.get("active", 0), "inactive": c.get("paused", 0) + c.get("inactive", 0)}
            for p, c in states.items()
        }
    )


async def show(request: web.Request) -> web.StreamResponse:
    language = language_of(request)
    store = console(request).deps.store
    admin = signed_in(request).user.is_admin
    names = {c.slug: c.name for c in await store.list_categories(retired=True)}
    languages, zones = await store.language_zone_states()
    shown_zones, other_zones, other_count = top(rows_of(zones), ZONES_SHOWN)
    return page(
        request,
        "subscribers.html.j2",
        title=_("Subscribers"),
        categories=rows_of(await store.category_states()),
        category_names=names,
        platforms=platform_rows(await store.subscriber_states()),
        languages=rows_of(languages),
        zones=shown_zones,
        other_zones=other_zones,
        other_count=other_count,
        # Chat ids leave the store only for an admin's page.
        newest=await store.newest_subscribers(NEWEST_SHOWN) if admin else [],
        admin=admin,
        n=numbers(language),
        shown=shown,
    )


ROUTES = [Route("GET", "/subscribers", show, role="editor")]
