"""The ``digestbot`` command line.

Each sub-command is a small async function taking the parsed arguments and an App. User
mistakes (unknown category, unreadable file, bad URL, bad setting) end in one line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TextIO

from dotenv import dotenv_values
from tqdm import tqdm

from bot.console import format_message
from bot.wiring import App, open_app
from digests.digest import plan_for
from digests.feedsfile import (
    FeedsFileError,
    apply_feeds_config,
    load_feeds_file,
    reject_credentials,
)
from digests.ingest.importer import import_records, read_records
from digests.ingest.normalise import InvalidURL, canonical_url
from digests.ingest.pipeline import poll_feeds
from digests.models import Subscriber, Subscription
from digests.render import Reader, TemplateError
from digests.settings import (
    SUPPORTED_LANGUAGES,
    Settings,
    SettingsError,
    load_settings,
    validate_timezone,
)
from digests.store import NotFound, StoreError
from digests.timeutil import format_duration, parse_duration, parse_iso

EXIT_USAGE = 2


class UserError(Exception):
    """A mistake the user can fix; printed as one line."""


Handler = Callable[[argparse.Namespace, App, TextIO], Awaitable[int]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digestbot",
        description="News digests for Telegram and Discord, at each reader's local time.",
    )
    parser.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    commands.add_parser("init", help="create the database and apply the feeds file if present")

    feeds = commands.add_parser("feeds", help="manage feeds").add_subparsers(
        dest="feeds_command", metavar="ACTION", required=True
    )
    feeds.add_parser("sync", help="apply FEEDS_FILE: add, update, disable removed feeds")
    feeds.add_parser("list", help="list feeds with their state")
    add = feeds.add_parser("add", help="add a feed (or re-enable one)")
    add.add_argument("url")
    add.add_argument("--category", required=True, help="category slug (comma-separate several)")
    add.add_argument("--name", help="source name readers see, e.g. 'Wired AI'")
    add.add_argument("--interval", help="poll interval, e.g. 15m (default FEED_DEFAULT_INTERVAL)")
    add.add_argument("--priority", type=int, default=0, help="ranking boost (default 0)")
    remove = feeds.add_parser("remove", help="stop polling a feed (its articles stay)")
    remove.add_argument("url")

    categories = commands.add_parser("categories", help="list categories").add_subparsers(
        dest="categories_command", metavar="ACTION", required=True
    )
    categories.add_parser("list", help="list categories")

    ingest = commands.add_parser("ingest", help="poll every due feed once")
    ingest.add_argument("--all", action="store_true", help="poll every enabled feed, due or not")

    imp = commands.add_parser("import", help="import articles from JSON or JSON Lines")
    imp.add_argument("file", type=Path)

    preview = commands.add_parser("preview", help="print the digest a subscriber would get now")
    preview.add_argument("--platform", choices=("telegram", "discord", "plain"), default="plain")
    preview.add_argument("--categories", required=True, help="comma-separated category slugs")
    preview.add_argument("--since", help="ISO 8601 instant to look back to (default: 24 h)")
    preview.add_argument("--lang", default=None, choices=SUPPORTED_LANGUAGES)
    preview.add_argument("--timezone", default=None, help="IANA time zone for dates")
    preview.add_argument("--json", action="store_true", help="print raw message JSON")

    commands.add_parser("stats", help="counts of feeds, articles, stories, subscribers")

    commands.add_parser(
        "run", help="run the bot: poll feeds, send digests on schedule (until SIGTERM)"
    )

    push = commands.add_parser(
        "breaking",
        help="push breaking news to a category now (status [ID] / cancel ID to follow it)",
    )
    push.add_argument(
        "action",
        nargs="?",
        choices=("status", "cancel"),
        help="show a push's progress, or cancel it (default: start a push)",
    )
    push.add_argument("push_id", nargs="?", type=int, help="push id (default: the latest)")
    push.add_argument("--category", help="category slug whose subscribers receive it")
    push.add_argument("--article", type=int, help="a stored article's id")
    push.add_argument("--url", help="a stored article's URL, or a new article's")
    push.add_argument("--title", help="title of a new article")
    push.add_argument("--summary", default="", help="summary of a new article")
    push.add_argument("--yes", action="store_true", help="confirm without asking")

    audit = commands.add_parser("audit", help="list admin actions, newest first")
    audit.add_argument("--limit", type=int, default=50)

    demo = commands.add_parser("demo", help="run the whole pipeline on bundled sample feeds")
    demo.add_argument("--platform", choices=("all", "telegram", "discord", "plain"), default="all")
    return parser


def read_environment(env_file: str) -> dict[str, str]:
    """The process environment over the optional .env file (the environment wins)."""
    merged: dict[str, str] = {}
    path = Path(env_file)
    if path.is_file():
        merged.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    merged.update(os.environ)
    return merged


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Entry point of the ``digestbot`` command; returns the exit status."""
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo(out, platform=args.platform))
        settings = load_settings(read_environment(args.env_file))
        return asyncio.run(_run(args, settings, out))
    except (UserError, SettingsError, StoreError, FeedsFileError, TemplateError) as exc:
        print(f"digestbot: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("digestbot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped reading (`digestbot demo | head`): end quietly, and keep
        # Python from complaining again while it flushes stdout on exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


async def _run(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    handler = _HANDLERS[_command_name(args)]
    if args.command == "run":
        from bot.logs import setup_logging

        setup_logging(
            settings.log_level,
            [settings.telegram_bot_token, settings.discord_bot_token, settings.api_token],
        )
    async with open_app(settings) as app:
        try:
            return await handler(args, app, out)
        except NotFound as exc:
            raise UserError(str(exc)) from None


def _command_name(args: argparse.Namespace) -> str:
    sub = getattr(args, f"{args.command}_command", None)
    return f"{args.command} {sub}" if sub else args.command


# --- commands ------------------------------------------------------------------------


async def cmd_init(args: argparse.Namespace, app: App, out: TextIO) -> int:
    out.write(
        f"database ready: {app.settings.database_path} "
        f"(schema {await app.store.schema_version()})\n"
    )
    if app.settings.feeds_file.is_file():
        return await cmd_feeds_sync(args, app, out)
    out.write(f"no feeds file at {app.settings.feeds_file}; add feeds with 'digestbot feeds add'\n")
    return 0


async def cmd_feeds_sync(args: argparse.Namespace, app: App, out: TextIO) -> int:
    config = load_feeds_file(app.settings.feeds_file)
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
    return 0


async def cmd_feeds_list(args: argparse.Namespace, app: App, out: TextIO) -> int:
    feeds = await app.store.list_feeds()
    if not feeds:
        out.write("no feeds yet\n")
    for feed in feeds:
        state = "disabled: " + (feed.disabled_reason or "") if feed.disabled else "ok"
        if not feed.disabled and feed.consecutive_errors:
            state = f"failing ({feed.consecutive_errors}x): {feed.last_error}"
        out.write(
            f"{feed.display_name}  [{', '.join(feed.categories)}]  every "
            f"{format_duration(feed.interval)}  {state}\n    {feed.url}\n"
        )
    return 0


async def cmd_feeds_add(args: argparse.Namespace, app: App, out: TextIO) -> int:
    try:
        reject_credentials(args.url)
        url = canonical_url(args.url)
        interval = (
            parse_duration(args.interval) if args.interval else app.settings.fetch.default_interval
        )
    except (InvalidURL, ValueError) as exc:
        raise UserError(str(exc)) from None
    categories = [c.strip() for c in args.category.split(",") if c.strip()]
    feed = await app.store.upsert_feed(
        url,
        categories,
        now=app.clock.now(),
        name=args.name,
        interval=interval,
        priority=args.priority,
        enable=True,
    )
    out.write(
        f"feed {feed.url} in {', '.join(feed.categories)}, every {format_duration(feed.interval)}\n"
    )
    return 0


async def cmd_feeds_remove(args: argparse.Namespace, app: App, out: TextIO) -> int:
    try:
        url = canonical_url(args.url)
    except InvalidURL as exc:
        raise UserError(str(exc)) from None
    feed = await app.store.remove_feed(url)
    out.write(f"stopped polling {feed.url}; its articles are kept\n")
    return 0


async def cmd_categories_list(args: argparse.Namespace, app: App, out: TextIO) -> int:
    categories = await app.store.list_categories()
    if not categories:
        out.write("no categories yet; declare them in the feeds file and run 'feeds sync'\n")
    for category in categories:
        out.write(
            f"{category.slug:<20} {category.name}"
            f"{' — ' + category.description if category.description else ''}\n"
        )
    return 0


async def cmd_ingest(args: argparse.Namespace, app: App, out: TextIO) -> int:
    now = app.clock.now()
    feeds = (
        [f for f in await app.store.list_feeds() if not f.disabled]
        if args.all
        else (await app.store.due_feeds(now))
    )
    if not feeds:
        out.write("no feeds are due\n")
        return 0
    with tqdm(
        total=len(feeds),
        unit="feed",
        desc="polling",
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
    ) as bar:
        async with app.http_client() as client:
            report = await poll_feeds(
                app.store,
                client,
                app.settings,
                now=now,
                feeds=feeds,
                progress=lambda _feed: bar.update(1),
            )
    out.write(
        f"{report.fetched} fetched, {report.not_modified} not modified, "
        f"{len(report.failed)} failed; articles: {report.counts.new} new, "
        f"{report.counts.updated} updated; {report.stories_new} new stories\n"
    )
    for url, error in report.failed:
        out.write(f"  failed: {url}: {error}\n")
    for url, reason in report.disabled:
        out.write(f"  {url} {reason}\n")
    return 0


async def cmd_import(args: argparse.Namespace, app: App, out: TextIO) -> int:
    try:
        text = args.file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UserError(f"{args.file} is not UTF-8 text") from None
    report = await import_records(
        app.store, read_records(text), now=app.clock.now(), story_window=app.settings.story_window
    )
    out.write(
        f"{report.counts.new} new, {report.counts.updated} updated, "
        f"{report.counts.unchanged} unchanged, {len(report.errors)} rejected\n"
    )
    for number, error in report.errors:
        out.write(f"  line {number}: {error}\n")
    return (
        1
        if report.errors
        and not (report.counts.new or report.counts.updated or report.counts.unchanged)
        else 0
    )


async def cmd_preview(args: argparse.Namespace, app: App, out: TextIO) -> int:
    now = app.clock.now()
    slugs = [c.strip() for c in args.categories.split(",") if c.strip()]
    await app.store.require_categories(slugs)
    limits = app.settings.digest
    if args.since:
        try:
            since = parse_iso(args.since)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        if since >= now:
            raise UserError("--since must be in the past")
        from dataclasses import replace

        limits = replace(
            limits, first_lookback=now - since, max_age=max(limits.max_age, now - since)
        )
    timezone = args.timezone or app.settings.default_timezone
    try:
        validate_timezone(timezone)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    reader = Reader(args.lang or app.settings.default_language, timezone)
    subscriber = Subscriber(
        id=0,
        platform="console",
        chat_id="preview",
        language=reader.language,
        timezone=reader.timezone,
        subscriptions=tuple(Subscription(s) for s in slugs),
    )
    plan = await plan_for(app.store, subscriber, now=now, limits=limits)
    for message in app.renderer.render_digest(plan, args.platform, reader):
        out.write(format_message(message, as_json=args.json) + "\n")
    return 0


async def cmd_stats(args: argparse.Namespace, app: App, out: TextIO) -> int:
    counts = await app.store.counts()
    width = max(len(k) for k in counts)
    for name, value in counts.items():
        out.write(f"{name.replace('_', ' '):<{width}}  {value}\n")
    outbox = await app.store.outbox_counts()
    inactive = await app.store.inactive_by_platform()
    platforms = sorted(set(outbox) | set(inactive))
    if platforms:
        out.write("\ndelivery     queued  sending  retrying     sent  dead  cancelled  inactive\n")
    for platform in platforms:
        row = outbox.get(platform, {})
        out.write(
            f"{platform:<10} {row.get('queued', 0):>8} {row.get('sending', 0):>8} "
            f"{row.get('retrying', 0):>9} {row.get('sent', 0):>8} {row.get('dead', 0):>5} "
            f"{row.get('cancelled', 0):>10} {inactive.get(platform, 0):>9}\n"
        )
    last = await app.store.get_meta("last_dispatch_at")
    upcoming = await app.store.next_due_at()
    out.write(f"\nlast dispatch  {last or 'never'}\n")
    out.write(f"next due       {upcoming.isoformat() if upcoming else 'none scheduled'}\n")
    return 0


async def cmd_breaking(args: argparse.Namespace, app: App, out: TextIO) -> int:
    from digests import breaking
    from digests.store import PushBusy

    now = app.clock.now()
    if args.action is not None:
        push_id = args.push_id or await app.store.latest_push_id()
        if push_id is None:
            raise UserError("there has been no breaking push yet")
        if args.action == "cancel":
            report = await breaking.cancel(app.store, push_id, now=now)
            await app.store.audit(
                actor="cli",
                platform="cli",
                action="breaking.cancel",
                target=str(push_id),
                outcome="ok",
                now=now,
            )
        else:
            report = await breaking.status(app.store, push_id, now=now)
        out.write(report.line() + "\n")
        return 0
    if not args.category:
        raise UserError("--category is required to start a push")
    if args.article is None and not args.url:
        raise UserError("give --article ID, or --url URL (with --title for a new article)")
    try:
        article = await breaking.resolve_article(
            app.store,
            category=args.category,
            now=now,
            article_id=args.article,
            url=args.url,
            title=args.title,
            summary=args.summary,
            story_window=app.settings.story_window,
        )
    except breaking.BreakingError as exc:
        raise UserError(str(exc)) from None
    story = await breaking.story_of(app.store, article, now)
    audience = await app.store.active_subscribers_of(args.category)
    out.write(
        format_message(
            breaking.preview(
                app.renderer,
                story,
                platform="console",
                language=app.settings.default_language,
                now=now,
            )
        )
        + "\n"
    )
    out.write(f"\n→ {len(audience)} active subscribers of {args.category}, on every platform\n")
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserError("add --yes to confirm the push (no terminal to ask on)")
        if input("Send it now? [y/N] ").strip().lower() not in ("y", "yes"):
            out.write("not sent\n")
            return 1
    try:
        report = await breaking.start_audited_push(
            app.store,
            app.renderer,
            category=args.category,
            article=article,
            actor="cli",
            platform="cli",
            now=now,
        )
    except PushBusy as exc:
        raise UserError(str(exc)) from None
    out.write(report.line() + "\n")
    out.write(
        "a running `digestbot run` delivers it; follow it with "
        f"`digestbot breaking status {report.push_id}`\n"
    )
    return 0


async def cmd_audit(args: argparse.Namespace, app: App, out: TextIO) -> int:
    entries = await app.store.audit_log(args.limit)
    if not entries:
        out.write("no admin actions yet\n")
    for entry in entries:
        detail = f" — {entry.detail}" if entry.detail else ""
        out.write(
            f"{entry.at.isoformat()}  {entry.actor:<16} {entry.action:<16} "
            f"{entry.target or '':<16} {entry.outcome}{detail}\n"
        )
    return 0


async def cmd_run(args: argparse.Namespace, app: App, out: TextIO) -> int:
    from bot.run import Runner

    return await Runner(app, out).run()


_HANDLERS: dict[str, Handler] = {
    "init": cmd_init,
    "feeds sync": cmd_feeds_sync,
    "feeds list": cmd_feeds_list,
    "feeds add": cmd_feeds_add,
    "feeds remove": cmd_feeds_remove,
    "categories list": cmd_categories_list,
    "ingest": cmd_ingest,
    "import": cmd_import,
    "preview": cmd_preview,
    "stats": cmd_stats,
    "run": cmd_run,
    "breaking": cmd_breaking,
    "audit": cmd_audit,
}
