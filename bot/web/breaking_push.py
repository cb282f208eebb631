"""A breaking push in the console once started: its progress page (delivered, pending,
failed, blocked of the total, updated live by ``static/breaking.js`` from the JSON of
``/console/breaking/<id>/progress``; a Refresh link without scripts), and its Cancel
button. Also the rows of the latest pushes, the page shown while another push of a
category goes out, and the messages of a preview drawn for the page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime

from bot.api.breaking import report_json as api_report_json
from bot.web.context import console, signed_in
from bot.web.i18n import _, current_language
from bot.web.render import page
from bot.web.routes import Route
from bot.web.shown import discord, telegram
from digests import breaking
from digests.errors import NotFoundError
from digests.outgoing import OutgoingMessage
from digests.store import PushRow

MAX_ID = 2**63 - 1  # SQLite's largest integer


def status_text(status: str) -> str:
    """A push's status as the page says it."""
    words = {"sending": _("sending"), "done": _("done"), "cancelled": _("cancelled")}
    return words.get(status, status)


def when(instant: datetime | None, language: str) -> str:
    if instant is None:
        return ""
    shown = format_datetime(instant, "short", tzinfo=UTC, locale=language)
    return f"{shown} UTC"


def language_name(code: str) -> str:
    """A readers' language by its name in the page's language ("vi" → "Vietnamese")."""
    try:
        return Locale.parse(code).get_display_name(current_language.get()) or code
    except (ValueError, UnknownLocaleError):
        return code


def listed(row: PushRow) -> dict[str, Any]:
    """One push of the latest pushes, as step 1 lists it."""
    push = row.push
    counts = push.counts
    return {
        "id": push.id,
        "status": push.status,
        "status_text": status_text(push.status),
        "category": push.category,
        "title": row.title or "",
        "total": push.total,
        "delivered": counts.get("sent", 0),
        "failed": counts.get("dead", 0),
        "pending": push.pending,
        "requested_by": push.requested_by,
        "created": when(push.created_at, current_language.get()),
    }


def drawn(shown: Mapping[str, OutgoingMessage]) -> dict[str, Any]:
    """The preview's messages drawn as Telegram and Discord show them (``bot.web.shown``:
    safe Markup, for the partials _telegram.html.j2 and _discord.html.j2)."""
    return {
        "telegram_messages": telegram([shown["telegram"]]),
        "discord_messages": discord([shown["discord"]]),
    }


def report_json(report: breaking.Report) -> dict[str, Any]:
    """GET /api/breaking/{id}'s answer, with the status in the account's words and
    whether the page may stop asking."""
    return {
        **api_report_json(report),
        "status_text": status_text(report.status),
        "finished": report.status != "sending" and report.pending == 0,
    }


def push_id_of(request: web.Request) -> int:
    """The push id in the path: ASCII digits and not too many, else 404."""
    raw = request.match_info["id"]
    if raw.isascii() and raw.isdigit() and len(raw) <= 19 and 1 <= int(raw) <= MAX_ID:
        return int(raw)
    raise NotFoundError(_("There is no such push."))


async def _report(request: web.Request) -> breaking.Report:
    ctx = console(request)
    try:
        return await breaking.status(ctx.deps.store, push_id_of(request), now=ctx.deps.clock.now())
    except NotFoundError:
        raise NotFoundError(_("There is no such push.")) from None


async def show(request: web.Request) -> web.StreamResponse:
    report = await _report(request)
    store = console(request).deps.store
    push = await store.get_push(report.push_id)
    assert push is not None  # status() found it
    article = await store.get_article(push.article_id)
    done = {
        "cancelled": _("The push was cancelled."),
        "finished": _("This push had already ended: nothing was cancelled."),
    }
    return page(
        request,
        "breaking_push.html.j2",
        title=_("Breaking push #%(id)s", id=report.push_id),
        push=report_json(report),
        article=article,
        requested_by=push.requested_by,
        created=when(push.created_at, signed_in(request).user.language),
        note=done.get(request.query.get("done", "")),
    )


async def progress(request: web.Request) -> web.StreamResponse:
    return web.json_response(report_json(await _report(request)))


async def cancel(request: web.Request) -> web.StreamResponse:
    session = signed_in(request)
    ctx = console(request)
    report = await _report(request)
    now = ctx.deps.clock.now()
    going = report.status == "sending"
    if going:
        report = await breaking.cancel(ctx.deps.store, report.push_id, now=now)
    await ctx.deps.store.audit(
        actor=session.user.name,
        platform="console",
        action="breaking-cancel",
        target=str(report.push_id),
        outcome="ok" if going else "refused",
        detail=report.line() if going else f"push {report.push_id} was already {report.status}",
        now=now,
    )
    done = "cancelled" if going else "finished"
    raise web.HTTPSeeOther(f"/console/breaking/{report.push_id}?done={done}")


async def busy(request: web.Request, category: str) -> web.Response:
    """409: another push of the category is going out; say which, and link to it."""
    running = await console(request).deps.store.latest_pushes(1, category=category)
    push = running[0].push if running and running[0].push.status == "sending" else None
    return page(
        request,
        "breaking_busy.html.j2",
        status=409,
        title=_("Breaking news"),
        category=category,
        running=push.id if push else None,
    )


ROUTES = [
    Route("GET", "/breaking/{id}", show, role="editor"),
    Route("GET", "/breaking/{id}/progress", progress, role="editor"),
    Route("POST", "/breaking/{id}/cancel", cancel, role="editor"),
]
