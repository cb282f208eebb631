"""The ``digestbot`` entry point: read the settings, redact secrets from everything
written, run the sub-command from the table, and turn errors into exit statuses
(:mod:`bot.cli.errors`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TextIO, cast

from dotenv import dotenv_values

from bot.cli.breaking import cmd_breaking
from bot.cli.console_users import (
    cmd_console_user_add,
    cmd_console_user_list,
    cmd_console_user_remove,
    cmd_console_user_unlock,
)
from bot.cli.content import cmd_import, cmd_ingest, cmd_preview
from bot.cli.db import cmd_db_copy
from bot.cli.errors import fail
from bot.cli.feeds import (
    cmd_categories_list,
    cmd_feeds_add,
    cmd_feeds_list,
    cmd_feeds_remove,
    cmd_feeds_sync,
    cmd_init,
)
from bot.cli.links import cmd_links, cmd_links_add, cmd_links_list, cmd_links_remove
from bot.cli.opml import cmd_feeds_export, cmd_feeds_import
from bot.cli.overview import cmd_audit, cmd_stats
from bot.cli.parser import build_parser
from bot.cli.summaries import cmd_summarize
from bot.demo import run_demo
from bot.logs import RedactingWriter, RedactSecrets, database_secrets, setup_logging
from bot.run import Runner
from bot.settings import BotSettings, load_bot_settings
from bot.wiring import App, open_app
from digests.errors import InputError

# Commands that only read: they must not create an empty database where they run.
READ_ONLY_COMMANDS = frozenset(
    {"stats", "preview", "audit", "feeds list", "feeds export", "categories list"}
    | {"links", "links list", "summarize", "console-user list"}
)

Handler = Callable[[argparse.Namespace, App, TextIO], Awaitable[int]]


def read_environment(env_file: str | None) -> dict[str, str]:
    """The process environment over the settings file (the environment wins). ``None``
    means the default ``.env``, which may be absent; a file named explicitly must exist.
    Raises InputError when the file cannot be read."""
    merged: dict[str, str] = {}
    path = Path(env_file or ".env")
    if env_file is not None or path.exists():
        if not path.is_file():
            raise InputError(f"settings file {path} does not exist or is not a file")
        try:
            values = dotenv_values(path, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read settings file {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise InputError(f"settings file {path} is not UTF-8 text") from None
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
            return asyncio.run(run_demo(out, platform=args.platform))
        if args.command == "db":  # names its databases itself: no settings read
            return asyncio.run(cmd_db_copy(args, out, redactor))
        settings = load_bot_settings(read_environment(args.env_file))
        redactor.add(secrets_of(settings))
        return asyncio.run(_run(args, settings, out))
    except (Exception, KeyboardInterrupt) as exc:  # each kind's exit status: bot.cli.errors
        return fail(exc)


async def _run(args: argparse.Namespace, settings: BotSettings, out: TextIO) -> int:
    name = _command_name(args)
    handler = HANDLERS[name]
    if args.command == "run":
        setup_logging(settings.core.log_level, secrets_of(settings))
    async with open_app(
        settings.core, platforms=settings.platforms, create=name not in READ_ONLY_COMMANDS
    ) as app:
        return await handler(args, app, out)


def secrets_of(settings: BotSettings) -> list[str]:
    """What output and logs must never show: the tokens, and the DATABASE_URL's password."""
    return [*settings.secrets(), *database_secrets(settings.core.database_path)]


def _command_name(args: argparse.Namespace) -> str:
    sub = getattr(args, f"{args.command}_command", None)
    return f"{args.command} {sub}" if sub else args.command


async def cmd_run(args: argparse.Namespace, app: App, out: TextIO) -> int:
    return await Runner(app, out).run()


HANDLERS: dict[str, Handler] = {
    "init": cmd_init,
    "feeds sync": cmd_feeds_sync,
    "feeds list": cmd_feeds_list,
    "feeds add": cmd_feeds_add,
    "feeds remove": cmd_feeds_remove,
    "feeds import": cmd_feeds_import,
    "feeds export": cmd_feeds_export,
    "categories list": cmd_categories_list,
    "ingest": cmd_ingest,
    "import": cmd_import,
    "preview": cmd_preview,
    "stats": cmd_stats,
    "run": cmd_run,
    "breaking": cmd_breaking,
    "audit": cmd_audit,
    "links": cmd_links,
    "links add": cmd_links_add,
    "links remove": cmd_links_remove,
    "links list": cmd_links_list,
    "summarize": cmd_summarize,
    "console-user add": cmd_console_user_add,
    "console-user remove": cmd_console_user_remove,
    "console-user list": cmd_console_user_list,
    "console-user unlock": cmd_console_user_unlock,
}
