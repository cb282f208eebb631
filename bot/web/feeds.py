"""The console's feeds page: each feed's state, last error, next poll and article count;
add, disable, enable, poll now.

A feed added here passes the checks ``digestbot feeds add`` makes (``digests.feed_checks``)
and is stored with the origin 'api' (the console is served by the admin API): like a feed
from ``feeds add``, it is not feeds.toml's, so ``feeds sync`` never disables it. "Poll now"
makes the feed due at once; ``digestbot run`` looks for due feeds every few seconds
(``bot.run.POLL_TICK``). Every action, done or refused, goes to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.web.context import console as console_of
from bot.web.context import signed_in
from bot.web.feed_form import (
    FORM_ORIGIN,
    MALFORMED,
    AddForm,
    read_add_form,
    refusal_text,
)
from bot.web.feed_rows import CONSOLE_REASON, feed_rows, shown
from bot.web.i18n import _
from bot.web.render import language_of, page
from bot.web.routes import Route
from digests.feed_checks import FeedRefused, check_feed_categories, check_feed_fields
from digests.terminal import printable

# The fixed ``done`` keys a redirect after an action carries, and what each says.
DONE: dict[str, Callable[[str], str]] = {
    "added": lambda name: _("Feed added: %(name)s. It will be fetched within seconds.", name=name),
    "disabled": lambda name: _("Feed disabled: %(name)s.", name=name),
    "enabled": lambda name: _(
        "Feed enabled: %(name)s. It will be fetched within seconds.", name=name
    ),
    "polled": lambda name: _("Poll requested: %(name)s will be fetched within seconds.", name=name),
}


class Missing(web.HTTPNotFound):
    """A 404 whose reason is shown on the error page."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.shown = reason


async def render(request: web.Request, *, status: int = 200, **values: Any) -> web.Response:
    """The page: the table of every feed (one store query) and the add form."""
    ctx = console_of(request)
    store = ctx.deps.store
    categories = await store.list_categories()
    names = {c.slug: c.name for c in categories}
    rows = feed_rows(
        await store.feed_health(),
        names,
        now=ctx.deps.clock.now(),
        language=language_of(request),
    )
    values.setdefault("entered", AddForm())
    values.setdefault("problem", None)
    values.setdefault("offer", None)
    values.setdefault("done", None)
    return page(
        request,
        "feeds.html.j2",
        status=status,
        title=_("Feeds"),
        rows=rows,
        categories=categories,
        **values,
    )


async def show(request: web.Request) -> web.StreamResponse:
    key = request.query.get("done", "")
    done = None
    if key in DONE:
        feed = await _feed_or_none(request, request.query.get("feed", ""))
        # Only a feed that exists is named (the query is anyone's to write).
        done = DONE[key](shown(feed.display_name)) if feed else None
    return await render(request, done=done)


async def add(request: web.Request) -> web.StreamResponse:
    ctx = console_of(request)
    store = ctx.deps.store
    entered = read_add_form(await request.post())
    known = [c.slug for c in await store.list_categories()]
    try:
        if entered.problem:
            raise FeedRefused(MALFORMED, "the form is not the page's")
        fields = check_feed_fields(
            entered.url, name=entered.name or None, interval=entered.interval
        )
        chosen = check_feed_categories(entered.categories, known)
    except FeedRefused as exc:
        await _audit(request, "feed-add", printable(entered.url)[:300], "refused", str(exc))
        problem = refusal_text(exc, entered, known)
        return await render(request, status=422, entered=entered, problem=problem)
    existing = await store.get_feed(fields.url)
    added: list[str] = []
    if existing is None:
        # One transaction that adds only a URL not yet known: of two adds at once, one adds
        # the feed and the other finds it there.
        added = await store.add_new_feeds(
            [(fields.url, fields.name, chosen)],
            now=ctx.deps.clock.now(),
            interval=fields.interval or ctx.deps.settings.fetch.default_interval,
            origin=FORM_ORIGIN,
        )
        existing = None if added else await store.get_feed(fields.url)
    if not added:
        assert existing is not None  # a feed was there, or came between the two queries
        await _audit(request, "feed-add", fields.url, "refused", "already a feed")
        offer = existing if existing.disabled else None
        problem = _(
            "%(url)s is already a feed: %(name)s.",
            url=fields.url,
            name=shown(existing.display_name),
        )
        return await render(request, status=422, entered=entered, problem=problem, offer=offer)
    feed = await store.get_feed(fields.url)
    assert feed is not None
    await _audit(request, "feed-add", fields.url, "ok", ", ".join(chosen))
    raise web.HTTPSeeOther(f"/console/feeds?done=added&feed={feed.id}")


async def _act(request: web.Request, action: str) -> web.StreamResponse:
    """Disable, enable or poll the feed the path names; 404 for no such feed, 409 when the
    feed is not in the state the action needs (another editor was quicker)."""
    ctx, session = console_of(request), signed_in(request)
    store, now = ctx.deps.store, ctx.deps.clock.now()
    raw = request.match_info.get("feed_id", "")
    feed = await _feed_or_none(request, raw)
    if feed is None:
        await _audit(request, f"feed-{action}", printable(raw)[:40], "refused", "no such feed")
        raise Missing(_("There is no such feed."))
    if action == "disable":
        done = await store.disable_feed_by_hand(feed.id, CONSOLE_REASON + session.user.name)
    elif action == "enable":
        done = await store.enable_feed(feed.id, now=now, origin=FORM_ORIGIN)
    else:
        done = await store.poll_feed_now(feed.id, now=now)
    if not done:
        await _audit(request, f"feed-{action}", feed.url, "refused", _STATE_DETAIL[action])
        return await render(request, status=409, problem=_conflict_text(action, feed.display_name))
    await _audit(request, f"feed-{action}", feed.url, "ok", None)
    key = {"disable": "disabled", "enable": "enabled", "poll": "polled"}[action]
    raise web.HTTPSeeOther(f"/console/feeds?done={key}&feed={feed.id}")


_STATE_DETAIL = {
    "disable": "already disabled",
    "enable": "already enabled",
    "poll": "disabled: enable it first",
}


def _conflict_text(action: str, name: str) -> str:
    if action == "disable":
        return _("%(name)s is already disabled.", name=shown(name))
    if action == "enable":
        return _("%(name)s is already enabled.", name=shown(name))
    return _("%(name)s is disabled: enable it before polling it.", name=shown(name))


async def disable(request: web.Request) -> web.StreamResponse:
    return await _act(request, "disable")


async def enable(request: web.Request) -> web.StreamResponse:
    return await _act(request, "enable")


async def poll(request: web.Request) -> web.StreamResponse:
    return await _act(request, "poll")


async def _feed_or_none(request: web.Request, raw: str) -> Any:
    """The feed a path or query names by id; None for text that is not an id we could
    have given (letters, other scripts' digits, 5,000 digits) or an unknown id."""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 15):
        return None
    return await console_of(request).deps.store.feed_by_id(int(raw))


async def _audit(
    request: web.Request, action: str, target: str, outcome: str, detail: str | None
) -> None:
    ctx, session = console_of(request), signed_in(request)
    await ctx.deps.store.audit(
        actor=session.user.name,
        platform="console",
        action=action,
        target=target,
        outcome=outcome,
        detail=printable(detail)[:300] if detail else None,
        now=ctx.deps.clock.now(),
    )


ROUTES = [
    Route("GET", "/feeds", show, role="editor"),
    Route("POST", "/feeds", add, role="editor"),
    Route("POST", "/feeds/{feed_id}/disable", disable, role="editor"),
    Route("POST", "/feeds/{feed_id}/enable", enable, role="editor"),
    Route("POST", "/feeds/{feed_id}/poll", poll, role="editor"),
]
