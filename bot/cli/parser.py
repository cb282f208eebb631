"""The ``digestbot`` argument parser: one function per command group, and the argument
types that keep numbers within what SQLite and the ranking accept."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from bot.cli.errors import EXIT_USAGE
from digests import __version__
from digests.feedsfile import MAX_PRIORITY, MIN_PRIORITY
from digests.i18n import SUPPORTED_LANGUAGES
from digests.ingest.importer import MAX_DOCUMENT_BYTES
from digests.terminal import printable
from digests.timeutil import MIN_FEED_INTERVAL, format_duration, short

SQLITE_MAX = 2**63 - 1
MAX_AUDIT_LIMIT = 100_000


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


def _command(sub: Any, name: str, text: str) -> argparse.ArgumentParser:
    # The same sentence is the one-line help in the list and the page's description.
    return sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")


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
    _command(commands, "init", "create the database and apply the feeds file if present")
    _add_feeds(commands)
    _add_content(commands)
    _command(commands, "stats", "counts of feeds, articles, stories, subscribers and deliveries")
    _command(commands, "run", "run the bot: poll feeds, send digests on schedule (until SIGTERM)")
    _add_breaking(commands)
    _add_links(commands)
    _add_db(commands)
    _add_summaries(commands)
    _add_console_users(commands)
    audit = _command(commands, "audit", "list admin actions, newest first")
    audit.add_argument(
        "--limit",
        type=_bounded_int(1, MAX_AUDIT_LIMIT),
        default=50,
        help=f"how many entries, 1..{MAX_AUDIT_LIMIT} (default 50)",
    )
    demo = _command(commands, "demo", "run the whole pipeline on bundled sample feeds")
    demo.add_argument(
        "--platform",
        choices=("all", "telegram", "discord", "plain"),
        default="all",
        help="which renderings to print (default: all)",
    )
    return parser


def _add_feeds(commands: Any) -> None:
    """``feeds sync|list|add|remove`` and ``categories list``."""
    feeds = _command(commands, "feeds", "manage the feeds that fill the categories")
    feed_actions = feeds.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    sync = _command(
        feed_actions, "sync", "apply FEEDS_FILE: add, update, disable the file's feeds it dropped"
    )
    sync.add_argument(
        "--prune",
        action="store_true",
        help="disable the feeds and retire the categories the file leaves out even when that "
        "is all of them (without it, a file naming none of them, e.g. only comments, is refused)",
    )
    _command(feed_actions, "list", "list feeds with their state")
    add = _command(feed_actions, "add", "add a feed, re-enable one, or change one with --update")
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
    remove = _command(feed_actions, "remove", "stop polling a feed (its articles stay)")
    remove.add_argument("url", help="the feed's URL as listed by 'feeds list'")
    imp = _command(feed_actions, "import", "add the feeds of an OPML file (a reader's export)")
    imp.add_argument(
        "file",
        metavar="FILE",
        help="the OPML file ('-': standard input); its folders name categories",
    )
    imp.add_argument("--category", metavar="SLUG", help="category for the feeds no folder matches")
    export = _command(feed_actions, "export", "write the enabled feeds as OPML 2.0")
    export.add_argument("--category", metavar="SLUG", help="only this category's feeds")
    export.add_argument(
        "--output", metavar="FILE", help="write to this file instead of the standard output"
    )

    categories = _command(commands, "categories", "show the categories readers can follow")
    category_actions = categories.add_subparsers(
        dest="categories_command", metavar="ACTION", required=True
    )
    _command(category_actions, "list", "list categories")


def _add_content(commands: Any) -> None:
    """``ingest``, ``import`` and ``preview``: articles in, a digest out."""
    ingest = _command(commands, "ingest", "poll every due feed once")
    ingest.add_argument("--all", action="store_true", help="poll every enabled feed, due or not")

    imp = _command(commands, "import", "import articles from JSON Lines, a JSON array or object")
    imp.add_argument(
        "file",
        type=Path,
        help="JSON Lines (one article per line, any size), or a JSON array up to "
        f"{MAX_DOCUMENT_BYTES >> 20} MB",
    )

    preview = _command(commands, "preview", "print the digest a subscriber would get now")
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


def _add_links(commands: Any) -> None:
    """``links [--qr-dir DIR] [--only SLUG|CODE]`` and ``links add|remove|list``."""
    links = _command(
        commands,
        "links",
        "print the subscribe links for each category and code, with QR codes (--qr-dir)",
    )
    links.add_argument(
        "--qr-dir",
        metavar="DIR",
        help="write one QR code per link there, as PNG and SVG (created if missing)",
    )
    links.add_argument("--only", metavar="SLUG|CODE", help="only this category or link code")
    # Without an action, `links` prints the links.
    actions = links.add_subparsers(dest="links_command", metavar="[ACTION]", required=False)
    add = _command(actions, "add", "make a link code for several categories and print its links")
    add.add_argument("--categories", required=True, help="comma-separated category slugs")
    add.add_argument(
        "--source", default="", help="the page or campaign that carries it, e.g. website"
    )
    remove = _command(actions, "remove", "retire a link code (a tap on it gets a friendly reply)")
    remove.add_argument("code", help="the code, as 'links list' shows it")
    listing = _command(actions, "list", "list the link codes with their sign-ups")
    listing.add_argument("--retired", action="store_true", help="include retired codes")


def _add_db(commands: Any) -> None:
    """``db copy --from URL --to URL [--force]``: moving an installation."""
    db = _command(commands, "db", "move an installation to another database")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    copy = _command(
        actions,
        "copy",
        "copy every table from one database into an empty one, keeping ids, and "
        "check the counts on both sides",
    )
    copy.add_argument(
        "--from",
        dest="source",
        metavar="URL",
        required=True,
        help="the database to copy: sqlite:///path.db or postgresql://user:pass@host/db",
    )
    copy.add_argument(
        "--to",
        dest="target",
        metavar="URL",
        required=True,
        help="the database to fill (created and migrated if needed; must be empty)",
    )
    copy.add_argument(
        "--force",
        action="store_true",
        help="replace what the target holds (emptied in the same transaction as the copy)",
    )


def _add_summaries(commands: Any) -> None:
    """``summarize --story ID [--lang LANG] [--save]``: one story through the model."""
    summarize = _command(
        commands,
        "summarize",
        "run one story through the model (LLM_BASE_URL) and show the input size, the "
        "answer, each check and the tokens; exit 1 when the answer is refused",
    )
    summarize.add_argument(
        "--story", required=True, type=_bounded_int(1, SQLITE_MAX), help="the story's id"
    )
    summarize.add_argument(
        "--lang",
        default=None,
        choices=SUPPORTED_LANGUAGES,
        help="the readers' language (default: DEFAULT_LANGUAGE)",
    )
    summarize.add_argument(
        "--save", action="store_true", help="store the result, as the background worker would"
    )


def _add_breaking(commands: Any) -> None:
    push = _command(
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


def _add_console_users(commands: Any) -> None:
    """``console-user add|remove|list|unlock``: accounts of the web console."""
    users = _command(commands, "console-user", "manage the accounts of the web console")
    actions = users.add_subparsers(dest="console-user_command", metavar="ACTION", required=True)
    add = _command(
        actions, "add", "add an account and print a one-time password (changed at first log-in)"
    )
    add.add_argument("name", help="1 to 64 letters, digits, dots, underscores and hyphens")
    add.add_argument("--role", choices=("editor", "admin"), default="editor", help="default editor")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password (at least 12 characters) from one line of stdin instead",
    )
    remove = _command(actions, "remove", "remove an account and end its sessions")
    remove.add_argument("name", help="the account's name")
    _command(actions, "list", "list the accounts: name, role, created, language")
    unlock = _command(actions, "unlock", "let an account locked by wrong passwords sign in again")
    unlock.add_argument("name", help="the account's name")
