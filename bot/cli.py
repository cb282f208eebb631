"""The ``digestbot`` command line.

Each sub-command is a small async function taking the parsed arguments and an App. User
mistakes (unknown category, unreadable file, bad URL, bad setting) end in one line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO, cast

from dotenv import dotenv_values
from tqdm import tqdm

from bot.console import format_message
from bot.logs import RedactingWriter, RedactSecrets
from bot.wiring import App, open_app
from digests import __version__
from digests.compose import plan_for
from digests.feedsfile import (
    MAX_PRIORITY,
    MIN_PRIORITY,
    FeedsFileError,
    apply_feeds_config,
    check_name,
    feed_changes,
    load_feeds_file,
    reject_credentials,
)
from digests.i18n import SUPPORTED_LANGUAGES
from digests.ingest.importer import (
    MAX_DOCUMENT_BYTES,
    ImportFileError,
    import_records,
    iter_records,
)
from digests.ingest.normalise import InvalidURL, canonical_url
from digests.ingest.pipeline import poll_feeds
from digests.models import Subscriber, Subscription
from digests.render import Presentation, TemplateError
from digests.settings import (
    Settings,
    SettingsError,
    load_settings,
    validate_timezone,
)
from digests.store import NotFound, StoreError
from digests.suggest import unknown_categories
from digests.terminal import printable
from digests.timeutil import (
    MIN_FEED_INTERVAL,
    check_feed_interval,
    format_duration,
    parse_duration,
    parse_iso,
    short,
)

EXIT_USAGE = 2
SQLITE_MAX = 2**63 - 1
MAX_AUDIT_LIMIT = 100_000
# Commands that only read: they must not create an empty database where they run.
READ_ONLY_COMMANDS = frozenset({"stats", "preview", "audit", "feeds list", "categories list"})


class UserError(Exception):
    """A mistake the user can fix; printed as one line."""


Handler = Callable[[argparse.Namespace, App, TextIO], Awaitable[int]]


class _Parser(argparse.ArgumentParser):
    """argparse with its mistakes on one line, like every other user error."""

    def error(self, message: str) -> NoReturn:
        self.exit(
            EXIT_USAGE,
            f"digestbot: error: {printable(message)} (see '{self.prog} --help')\n",
        )


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number in ``low..high`` (SQLite and the ranking need it)."""

    def parse(text: str) -> int:
        raw = text.strip()
        if not (raw.lstrip("+-").isdecimal() and raw.isascii()) or len(raw) > 40:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {short(text)}")
        value = int(raw)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {raw}")
        return value

    parse.__name__ = "whole number"
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="digestbot",
        description="News digests for Telegram and Discord, at each reader's local time.",
        epilog="Settings come from the environment and the --env-file; see .env.example.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--env-file",
        default=".env",
        help="settings file read under the environment (default: .env)",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, title="commands"
    )

    def command(sub: Any, name: str, text: str) -> argparse.ArgumentParser:
        # The same sentence is the one-line help in the list and the page's description.
        return sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")

    command(commands, "init", "create the database and apply the feeds file if present")

    feeds = command(commands, "feeds", "manage the feeds that fill the categories")
    feed_actions = feeds.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    command(feed_actions, "sync", "apply FEEDS_FILE: add, update, disable removed feeds")
    command(feed_actions, "list", "list feeds with their state")
    add = command(feed_actions, "add", "add a feed, re-enable one, or change one with --update")
    add.add_argument("url", help="the feed's http(s) URL (RSS, Atom or JSON Feed)")
    add.add_argument("--category", required=True, help="category slug (comma-separate several)")
    add.add_argument("--name", help="source name readers see, e.g. 'Wired AI'")
    add.add_argument(
        "--interval",
        help=f"poll interval, at least {format_duration(MIN_FEED_INTERVAL)}, e.g. 15m "
        "(default FEED_DEFAULT_INTERVAL)",
    )
    add.add_argument(
        "--priority",
        type=_bounded_int(MIN_PRIORITY, MAX_PRIORITY),
        default=None,
        help=f"ranking boost, {MIN_PRIORITY}..{MAX_PRIORITY} (default 0)",
    )
    add.add_argument(
        "--update",
        action="store_true",
        help="allow changing a known feed's categories, name, interval or priority",
    )
    remove = command(feed_actions, "remove", "stop polling a feed (its articles stay)")
    remove.add_argument("url", help="the feed's URL as listed by 'feeds list'")

    categories = command(commands, "categories", "show the categories readers can follow")
    category_actions = categories.add_subparsers(
        dest="categories_command", metavar="ACTION", required=True
    )
    command(category_actions, "list", "list categories")

    ingest = command(commands, "ingest", "poll every due feed once")
    ingest.add_argument("--all", action="store_true", help="poll every enabled feed, due or not")

    imp = command(commands, "import", "import articles from JSON Lines, a JSON array or object")
    imp.add_argument(
        "file",
        type=Path,
        help="JSON Lines (one article per line, any size), or a JSON array up to "
        f"{MAX_DOCUMENT_BYTES >> 20} MB",
    )

    preview = command(commands, "preview", "print the digest a subscriber would get now")
    preview.add_argument(
        "--platform",
        choices=("telegram", "discord", "plain"),
        default="plain",
        help="whose formatting to show (default: plain)",
    )
    preview.add_argument("--categories", required=True, help="comma-separated category slugs")
    preview.add_argument("--since", help="ISO 8601 instant to look back to (default: 24 h)")
    preview.add_argument(
        "--lang",
        default=None,
        choices=SUPPORTED_LANGUAGES,
        help="language of the digest (default: DEFAULT_LANGUAGE)",
    )
    preview.add_argument(
        "--timezone", default=None, help="IANA time zone for dates (default: DEFAULT_TIMEZONE)"
    )
    preview.add_argument("--json", action="store_true", help="print raw message JSON")

    command(commands, "stats", "counts of feeds, articles, stories, subscribers and deliveries")

    command(commands, "run", "run the bot: poll feeds, send digests on schedule (until SIGTERM)")

    push = command(
        commands,
        "breaking",
        "push breaking news to a category now (status [ID] / cancel ID to follow it)",
    )
    push.add_argument(
        "action",
        nargs="?",
        choices=("status", "cancel"),
        help="show a push's progress, or cancel it (default: start a push)",
    )
    push.add_argument(
        "push_id", nargs="?", type=_bounded_int(1, SQLITE_MAX), help="push id (default: the latest)"
    )
    push.add_argument("--category", help="category slug whose subscribers receive it")
    push.add_argument("--article", type=_bounded_int(1, SQLITE_MAX), help="a stored article's id")
    push.add_argument("--url", help="a stored article's URL, or a new article's")
    push.add_argument("--title", help="title of a new article")
    push.add_argument("--summary", default="", help="summary of a new article")
    push.add_argument("--yes", action="store_true", help="confirm without asking")
    push.add_argument(
        "--cross-category",
        action="store_true",
        help="push a stored article of other categories to --category without asking",
    )

    audit = command(commands, "audit", "list admin actions, newest first")
    audit.add_argument(
        "--limit",
        type=_bounded_int(1, MAX_AUDIT_LIMIT),
        default=50,
        help=f"how many entries, 1..{MAX_AUDIT_LIMIT} (default 50)",
    )

    demo = command(commands, "demo", "run the whole pipeline on bundled sample feeds")
    demo.add_argument(
        "--platform",
        choices=("all", "telegram", "discord", "plain"),
        default="all",
        help="which renderings to print (default: all)",
    )
    return parser


def read_environment(env_file: str | None) -> dict[str, str]:
    """The process environment over the settings file (the environment wins). ``None``
    means the default ``.env``, which may be absent; a file named explicitly must exist.
    Raises UserError when the file cannot be read."""
    merged: dict[str, str] = {}
    path = Path(env_file or ".env")
    if env_file is not None or path.exists():
        if not path.is_file():
            raise UserError(f"settings file {path} does not exist or is not a file")
        try:
            values = dotenv_values(path, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot read settings file {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise UserError(f"settings file {path} is not UTF-8 text") from None
        merged.update({k: v for k, v in values.items() if v is not None})
    merged.update(os.environ)
    return merged


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Entry point of the ``digestbot`` command; returns the exit status.

    Everything it writes, to ``out`` (stdout) and stderr, passes through the same
    redaction as the logs: an error message from Telegram or Discord may echo a token."""
    redactor = RedactSecrets()
    stdout = cast(TextIO, RedactingWriter(sys.stdout, redactor))
    stderr = cast(TextIO, RedactingWriter(sys.stderr, redactor))
    target = stdout if out is None else cast(TextIO, RedactingWriter(out, redactor))
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            return _main(argv, target, redactor)
    finally:
        for stream in (target, stdout, stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed file
                stream.flush()


def _main(argv: Sequence[str] | None, out: TextIO, redactor: RedactSecrets) -> int:
    parser = build_parser()
    # None tells read_environment the default .env was not asked for by name.
    parser.set_defaults(env_file=None)
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo(out, platform=args.platform))
        settings = load_settings(read_environment(args.env_file))
        redactor.add(
            [
                settings.telegram_bot_token,
                settings.discord_bot_token,
                settings.api_token,
                settings.telegram_webhook_secret,
            ]
        )
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
    except Exception:  # a bug: its traceback is shown, redacted like everything else
        traceback.print_exc()
        return 1


async def _run(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    handler = _HANDLERS[_command_name(args)]
    if args.command == "run":
        from bot.logs import setup_logging

        setup_logging(
            settings.log_level,
            [
                settings.telegram_bot_token,
                settings.discord_bot_token,
                settings.api_token,
                settings.telegram_webhook_secret,
            ],
        )
    async with open_app(settings, create=_command_name(args) not in READ_ONLY_COMMANDS) as app:
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


async def _require_categories(app: App, slugs: Sequence[str]) -> None:
    """Raise UserError for an unknown slug, suggesting the closest known ones."""
    known = [c.slug for c in await app.store.list_categories()]
    problem = unknown_categories(slugs, known)
    if problem:
        raise UserError(problem)


async def cmd_feeds_list(args: argparse.Namespace, app: App, out: TextIO) -> int:
    feeds = await app.store.list_feeds()
    if not feeds:
        out.write("no feeds yet\n")
    for feed in feeds:
        state = "disabled: " + (feed.disabled_reason or "") if feed.disabled else "ok"
        if not feed.disabled and feed.consecutive_errors:
            state = f"failing ({feed.consecutive_errors}x): {feed.last_error}"
        # The title and the error come from the feed's server: escaped before printing.
        out.write(
            f"{printable(feed.display_name)}  [{', '.join(feed.categories)}]  every "
            f"{format_duration(feed.interval)}  {printable(state)}\n    {printable(feed.url)}\n"
        )
    return 0


async def cmd_feeds_add(args: argparse.Namespace, app: App, out: TextIO) -> int:
    try:
        reject_credentials(args.url)
        url = canonical_url(args.url)
        interval = check_feed_interval(parse_duration(args.interval)) if args.interval else None
        if args.name is not None:
            check_name(args.name)
    except (InvalidURL, ValueError) as exc:
        raise UserError(str(exc)) from None
    categories = tuple(dict.fromkeys(c.strip() for c in args.category.split(",") if c.strip()))
    if not categories:
        raise UserError("--category needs at least one category slug")
    await _require_categories(app, categories)
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
            raise UserError(
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
    )
    summary = f"{', '.join(feed.categories)}, every {format_duration(feed.interval)}"
    if before is None:
        out.write(f"feed {feed.url} in {summary}\n")
    else:
        done = changes + (["re-enabled"] if before.disabled else [])
        out.write(f"updated feed {feed.url}: {'; '.join(done)} (now in {summary})\n")
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
            f"{category.slug:<20} {printable(category.name)}"
            f"{' — ' + printable(category.description) if category.description else ''}\n"
        )
    return 0


async def cmd_ingest(args: argparse.Namespace, app: App, out: TextIO) -> int:
    """Poll once; exit status 1 when feeds were due and every one of them failed."""
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
    if report.skipped_items:
        out.write(f"  {report.skipped_items} items left out as unusable\n")
    for url, error in report.failed:
        out.write(f"  failed: {printable(url)}: {printable(error)}\n")
    for url, reason in report.disabled:
        out.write(f"  {printable(url)} {printable(reason)}\n")
    if report.failed and not (report.fetched or report.not_modified):
        return 1
    return 0


async def cmd_import(args: argparse.Namespace, app: App, out: TextIO) -> int:
    """Import a file as a stream; exit 1 when every record in it was rejected."""
    try:
        handle = args.file.open("rb")
        size = os.fstat(handle.fileno()).st_size
    except OSError as exc:
        raise UserError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    with (
        handle,
        tqdm(
            total=size or None,
            unit="B",
            unit_scale=True,
            desc="importing",
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
        ) as bar,
    ):
        try:
            report = await import_records(
                app.store,
                iter_records(handle, progress=bar.update),
                now=app.clock.now(),
                story_window=app.settings.story_window,
            )
        except ImportFileError as exc:
            raise UserError(f"{args.file}: {exc}") from None
        except OSError as exc:  # a read error part-way (a directory, a vanished disk)
            raise UserError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    out.write(
        f"{report.counts.new} new, {report.counts.updated} updated, "
        f"{report.counts.unchanged} unchanged, {report.rejected} rejected\n"
    )
    for number, error in report.errors:
        out.write(f"  line {number}: {printable(error)}\n")
    if report.rejected > len(report.errors):
        out.write(f"  … and {report.rejected - len(report.errors)} more rejected\n")
    return (
        1
        if report.rejected
        and not (report.counts.new or report.counts.updated or report.counts.unchanged)
        else 0
    )


async def cmd_preview(args: argparse.Namespace, app: App, out: TextIO) -> int:
    now = app.clock.now()
    slugs = [c.strip() for c in args.categories.split(",") if c.strip()]
    if not slugs:
        raise UserError("--categories needs at least one category slug")
    await _require_categories(app, slugs)
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
    reader = Presentation(args.lang or app.settings.default_language, timezone)
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
    from digests.models import Article
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

    async def resolve(store_new: bool) -> Article:
        try:
            return await breaking.resolve_article(
                app.store,
                category=args.category,
                now=now,
                article_id=args.article,
                url=args.url,
                title=args.title,
                summary=args.summary,
                story_window=app.settings.story_window,
                store_new=store_new,
            )
        except breaking.BreakingError as exc:
            raise UserError(str(exc)) from None

    article = await resolve(store_new=False)  # a preview not confirmed stores nothing
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
    mismatch = breaking.other_category(article, args.category)
    if mismatch and not args.cross_category:
        # --yes confirms the push, not that it goes to readers of another category.
        if not sys.stdin.isatty():
            raise UserError(f"{mismatch}: add --cross-category to push it there anyway")
        out.write(f"{mismatch}.\n")
        out.flush()
        if input(f"Send it to {args.category} anyway? [y/N] ").strip().lower() not in ("y", "yes"):
            out.write("not sent\n")
            return 1
    elif not args.yes:
        if not sys.stdin.isatty():
            raise UserError("add --yes to confirm the push (no terminal to ask on)")
        if input("Send it now? [y/N] ").strip().lower() not in ("y", "yes"):
            out.write("not sent\n")
            return 1
    if breaking.is_draft(article):
        article = await resolve(store_new=True)
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
        # Every field but the time can come from an unauthenticated request (a path, a
        # user name): escaped, so it cannot colour or clear the terminal or forge a line.
        detail = f" — {printable(entry.detail)}" if entry.detail else ""
        out.write(
            f"{entry.at.isoformat()}  {printable(entry.actor):<16} "
            f"{printable(entry.action):<16} {printable(entry.target):<16} "
            f"{printable(entry.outcome)}{detail}\n"
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
