"""``init``, ``feeds sync|list|add|remove`` and ``categories list``: what fills the
categories, and the check every command naming categories makes."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TextIO

from bot.wiring import App
from digests.errors import InputError
from digests.feed_checks import check_feed_fields
from digests.feedsfile import apply_feeds_config, feed_changes, load_feeds_file
from digests.suggest import unknown_categories
from digests.terminal import printable
from digests.timeutil import format_duration
from digests.urls import canonical_url

# How ``feeds list`` names each origin.
# The web console adds feeds as 'api' (it is served by the admin API; the schema's CHECK
# allows no other name).
ORIGINS = {
    "file": "feeds file",
    "cli": "feeds add",
    "import": "OPML import",
    "api": "API or web console",
}


def parse_categories(raw: str, option: str) -> tuple[str, ...]:
    """``--category a,b`` (or ``--categories``) as slugs, each once; InputError when
    it names none."""
    slugs = tuple(dict.fromkeys(s.strip() for s in raw.split(",") if s.strip()))
    if not slugs:
        raise InputError(f"{option} needs at least one category slug")
    return slugs


async def require_categories(app: App, slugs: Sequence[str]) -> None:
    """Raise InputError for an unknown slug, suggesting the closest known ones."""
    known = [c.slug for c in await app.store.list_categories()]
    problem = unknown_categories(slugs, known)
    if problem:
        raise InputError(problem)


async def cmd_init(args: argparse.Namespace, app: App, out: TextIO) -> int:
    out.write(
        f"database ready: {app.settings.database_path} "
        f"(schema {await app.store.schema_version()})\n"
    )
    if app.settings.feeds_file.is_file():
        return await cmd_feeds_sync(args, app, out)
    out.write(f"no feeds file at {app.settings.feeds_file}; add feeds with 'digestbot feeds add'\n")
    return 0


def prune_everything(enabled: Sequence[str], kept: Sequence[str], path: object) -> str | None:
    """Why a sync must be asked for with --prune: it would disable every enabled feed (a
    file emptied by mistake, or only comments); None otherwise (pure)."""
    if not enabled or set(enabled) & set(kept):
        return None
    return (
        f"{path} names none of the {len(enabled)} enabled feeds, so syncing would disable "
        "them all; run 'digestbot feeds sync --prune' if that is what you want"
    )


def retire_everything(live: Sequence[str], declared: Sequence[str], path: object) -> str | None:
    """Why a sync must be asked for with --prune: it would retire every live category (a
    file emptied by mistake, while the enabled feeds came from the command line or an
    import, so that prune_everything finds none of the file's own); None otherwise."""
    if not live or set(live) & set(declared):
        return None
    return (
        f"{path} declares none of the {len(live)} categories, so syncing would retire them "
        "all; run 'digestbot feeds sync --prune' if that is what you want"
    )


async def cmd_feeds_sync(args: argparse.Namespace, app: App, out: TextIO) -> int:
    config = load_feeds_file(app.settings.feeds_file)
    if not getattr(args, "prune", False):  # `init` syncs too, and never prunes everything
        # Only the file's own feeds can be disabled by it (see disable_feeds_except).
        enabled = [
            f.url for f in await app.store.list_feeds() if not f.disabled and f.origin == "file"
        ]
        path = app.settings.feeds_file
        live = [c.slug for c in await app.store.list_categories()]
        problem = prune_everything(enabled, [s.url for s in config.feeds], path) or (
            retire_everything(live, [c.slug for c in config.categories], path)
        )
        if problem:
            raise InputError(problem)
    report = await apply_feeds_config(
        app.store,
        config,
        now=app.clock.now(),
        default_interval=app.settings.fetch.default_interval,
    )
    out.write(
        f"{report.categories} categories; feeds: {len(report.added)} added, "
        f"{len(report.updated)} updated, {len(report.disabled)} disabled\n"
    )
    for url in report.disabled:
        out.write(f"  disabled (no longer in {app.settings.feeds_file}): {url}\n")
    for slug, count in report.retired.items():
        out.write(
            f"  retired category {slug} (no longer in {app.settings.feeds_file}); "
            f"{count} {_subscribers(count)} kept dormant\n"
        )
    for slug, count in report.returned.items():
        out.write(f"  category {slug} is back; {count} {_subscribers(count)} resume\n")
    if report.retired or report.returned:
        out.write(f"subscribers touched: {report.subscribers_touched}\n")
    return 0


def _subscribers(count: int) -> str:
    return "subscriber" if count == 1 else "subscribers"


async def cmd_feeds_list(args: argparse.Namespace, app: App, out: TextIO) -> int:
    feeds = await app.store.list_feeds()
    if not feeds:
        out.write("no feeds yet\n")
    for feed in feeds:
        state = "disabled: " + (feed.disabled_reason or "") if feed.disabled else "ok"
        if not feed.disabled and feed.consecutive_errors:
            state = f"failing ({feed.consecutive_errors}x): {feed.last_error}"
        origin = ORIGINS.get(feed.origin, feed.origin)
        # The title and the error come from the feed's server: escaped before printing.
        out.write(
            f"{printable(feed.display_name)}  [{', '.join(feed.categories)}]  every "
            f"{format_duration(feed.interval)}  {printable(state)}  (from {origin})"
            f"\n    {printable(feed.url)}\n"
        )
    return 0


async def cmd_feeds_add(args: argparse.Namespace, app: App, out: TextIO) -> int:
    # The same checks as the web console's (digests.feed_checks); a FeedRefused is an
    # InputError: one line, exit 2.
    fields = check_feed_fields(args.url, name=args.name, interval=args.interval)
    url, interval = fields.url, fields.interval
    categories = parse_categories(args.category, "--category")
    await require_categories(app, categories)
    before = await app.store.get_feed(url)
    changes: list[str] = []
    if before is not None:
        # What the command line leaves out stays as it is.
        interval = interval or before.interval
        name = args.name if args.name is not None else before.name
        priority = args.priority if args.priority is not None else before.priority
        changes = feed_changes(
            before, categories=categories, name=name, interval=interval, priority=priority
        )
        if changes and not args.update:
            raise InputError(
                f"{url} is already a feed; this would change {'; '.join(changes)}. "
                "Add --update to change it"
            )
        if not changes and not before.disabled:
            out.write(f"feed {url} is already there, unchanged\n")
            return 0
    else:
        name = args.name
        priority = args.priority or 0
        interval = interval or app.settings.fetch.default_interval
    feed = await app.store.upsert_feed(
        url,
        categories,
        now=app.clock.now(),
        name=name,
        interval=interval,
        priority=priority,
        enable=True,
        origin="cli",
    )
    summary = f"{', '.join(feed.categories)}, every {format_duration(feed.interval)}"
    if before is None:
        out.write(f"feed {feed.url} in {summary}\n")
    else:
        done = changes + (["re-enabled"] if before.disabled else [])
        out.write(f"updated feed {feed.url}: {'; '.join(done)} (now in {summary})\n")
    return 0


async def cmd_feeds_remove(args: argparse.Namespace, app: App, out: TextIO) -> int:
    # A URL that is not one raises InvalidURL, an InputError: one line, exit 2.
    feed = await app.store.remove_feed(canonical_url(args.url))
    out.write(f"stopped polling {feed.url}; its articles are kept\n")
    return 0


async def cmd_categories_list(args: argparse.Namespace, app: App, out: TextIO) -> int:
    # Retired categories (gone from the feeds file) are not listed: readers cannot pick
    # them, and 'feeds sync' said when each went.
    categories = await app.store.list_categories()
    if not categories:
        out.write("no categories yet; declare them in the feeds file and run 'feeds sync'\n")
    for category in categories:
        out.write(
            f"{category.slug:<20} {printable(category.name)}"
            f"{' — ' + printable(category.description) if category.description else ''}\n"
        )
    return 0
