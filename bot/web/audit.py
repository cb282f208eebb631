"""The console's audit page: every admin action from every surface (console, API, chat
bots, CLI), filtered by actor (exact, or the start of a name), action, surface and date,
newest first, a page at a time.

The filters come from a GET form, so anything may arrive in the query string: each field is
checked (``read_filters``, pure) and a bad one answers the page with status 422 and one line
saying what to fix, never a 500. The log's own text (targets, details written by other
surfaces) is shown escaped and isolated (``<bdi>``), whatever it holds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from aiohttp import web
from babel.dates import format_datetime
from babel.numbers import format_decimal

from bot.web.context import console
from bot.web.i18n import _
from bot.web.render import language_of, page
from bot.web.routes import Route
from digests.store._audit_search import MAX_ID, AuditRecord
from digests.timeutil import EARLIEST, LATEST

PAGE_SIZE = 100
# Longer than any actor, action or surface the log holds (names are at most 64 characters).
MAX_TEXT = 200
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CURSOR = re.compile(r"[0-9]{1,19}")
OUTCOMES = ("ok", "refused", "failed")


@dataclass(frozen=True)
class Filters:
    """What the editor asked for; empty strings and None leave a filter out."""

    actor: str = ""
    prefix: bool = False
    action: str = ""
    platform: str = ""
    start: date | None = None
    end: date | None = None
    before: int | None = None

    def since(self) -> datetime | None:
        return datetime.combine(self.start, time(), UTC) if self.start else None

    def until(self) -> datetime | None:
        """The end of the "to" day (the day itself is included)."""
        return datetime.combine(self.end, time(), UTC) + timedelta(days=1) if self.end else None

    def link(self, before: int | None) -> str:
        """This search's address, at the page older than ``before`` (None: the newest)."""
        fields = {
            "actor": self.actor,
            "prefix": "1" if self.prefix else "",
            "action": self.action,
            "platform": self.platform,
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            "before": str(before) if before is not None else "",
        }
        query = urlencode({k: v for k, v in fields.items() if v})
        return "/console/audit" + (f"?{query}" if query else "")


def _text(value: str, what: str) -> str:
    """A searched text as typed, or ValueError saying what is wrong with it (pure)."""
    if len(value) > MAX_TEXT:
        raise ValueError(_("The %(field)s is too long to search for.", field=what))
    # Not printable: control characters, bidi overrides, lone surrogates, unassigned.
    if not value.isprintable():
        raise ValueError(
            _("The %(field)s holds characters that cannot be searched for.", field=what)
        )
    return value.strip()


def _day(value: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value) if _DATE.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None:
        raise ValueError(_("Write a date as year-month-day, such as 2026-03-01."))
    if not EARLIEST.date() <= day <= LATEST.date():
        raise ValueError(_("Choose a date between 0002-01-01 and 9998-12-31."))
    return day


def _cursor(value: str) -> int | None:
    if not value:
        return None
    if not _CURSOR.fullmatch(value) or int(value) > MAX_ID:
        raise ValueError(_("This page link is broken. Start again from the newest entries."))
    return int(value)


def read_filters(query: Mapping[str, str]) -> tuple[Filters, str | None]:
    """The filters of a query string and the first problem with them (None when all are
    good); a field with a problem is left out of the filters (pure but for the words)."""
    filters, problem = Filters(prefix=query.get("prefix") == "1"), None
    readers = (
        ("actor", "actor", lambda v: _text(v, _("actor"))),
        ("action", "action", lambda v: _text(v, _("action"))),
        ("platform", "platform", lambda v: _text(v, _("surface"))),
        ("from", "start", _day),
        ("to", "end", _day),
        ("before", "before", _cursor),
    )
    for key, field, reader in readers:
        try:
            filters = replace(filters, **{field: reader(query.get(key, ""))})
        except ValueError as exc:
            problem = problem or str(exc)
    if problem is None and filters.start and filters.end and filters.start > filters.end:
        problem = _("The “from” date is after the “to” date.")
    return filters, problem


@dataclass(frozen=True)
class Row:
    """An audit row as the page shows it."""

    when: str
    actor: str
    platform: str
    action: str
    target: str
    outcome: str
    detail: str
    count: str


def shown(record: AuditRecord, language: str) -> Row:
    """What a row shows in ``language``: the instant in UTC, Babel's way (pure)."""
    return Row(
        when=format_datetime(record.at, "medium", tzinfo=UTC, locale=language),
        actor=record.actor,
        platform=record.platform,
        action=record.action,
        target=record.target or "",
        outcome=record.outcome if record.outcome in OUTCOMES else "failed",
        detail=record.detail or "",
        count=format_decimal(record.count, locale=language),
    )


async def show(request: web.Request) -> web.StreamResponse:
    store = console(request).deps.store
    language = language_of(request)
    filters, problem = read_filters(request.query)
    title = _("Audit log")
    records: list[AuditRecord] = []
    if problem is None:
        records = await store.search_audit(
            actor=filters.actor or None,
            action=filters.action or None,
            platform=filters.platform or None,
            since=filters.since(),
            until=filters.until(),
            before_id=filters.before,
            limit=PAGE_SIZE + 1,
            actor_prefix=filters.prefix,
        )
    older = records[PAGE_SIZE - 1].id if len(records) > PAGE_SIZE else None
    return page(
        request,
        "audit.html.j2",
        status=422 if problem else 200,
        title=title,
        problem=problem,
        filters=filters,
        actions=await store.audit_actions(),
        platforms=await store.audit_platforms(),
        rows=[shown(r, language) for r in records[:PAGE_SIZE]],
        older=filters.link(older) if older is not None else None,
        newest=filters.link(None) if filters.before is not None else None,
    )


ROUTES = [Route("GET", "/audit", show, role="editor")]
