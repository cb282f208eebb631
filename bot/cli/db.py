"""``db copy``: move an installation from one database to another (SQLite to PostgreSQL
when one machine is no longer enough, and back), then check the counts on both sides.

It reads no settings: both databases are named on the command line, so a DATABASE_URL
that is wrong (or already points at the new database) does not get in the way. Their
passwords are redacted from everything the command prints.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from bot.cli.progress import progress_bar
from bot.logs import RedactSecrets
from digests.dburl import PostgresUrl, parse_database_url, redact_url
from digests.errors import InputError
from digests.store import Store, StoreError
from digests.store._copy import TableCount, copy_store, mismatch
from digests.terminal import printable

Target = Path | PostgresUrl


def database_of(option: str, url: str) -> Target:
    """``--from``/``--to``'s URL as a database; InputError naming the option when it is
    not a ``sqlite:///`` or ``postgresql://`` URL (the password never shown)."""
    try:
        return parse_database_url(url)
    except ValueError as exc:
        shown = printable(redact_url(url))[:200]
        raise InputError(f"{option} {exc}, got {shown!r}") from None


def same_database(a: Target, b: Target) -> bool:
    """Whether two URLs name one database: one SQLite file however it is spelled
    (relative, absolute, through a link), or one PostgreSQL database on one server
    whoever logs in."""
    if isinstance(a, Path) and isinstance(b, Path):
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    if isinstance(a, PostgresUrl) and isinstance(b, PostgresUrl):
        return _server_and_database(a) == _server_and_database(b)
    return False


def _server_and_database(url: PostgresUrl) -> tuple[str, int, str]:
    parts = urlsplit(url.dsn)
    return (parts.hostname or "").lower(), parts.port or 5432, parts.path.lstrip("/")


def secrets_of_urls(*urls: str) -> list[str]:
    """The passwords in these URLs (every spelling ``PostgresUrl.passwords`` knows, of any
    URL: an unusable one is still redacted from the error saying so), for the redaction of
    the command's output."""
    found = []
    for url in urls:
        try:
            found.extend(PostgresUrl(url).passwords())
        except ValueError:
            continue
    return found


async def cmd_db_copy(args: argparse.Namespace, out: TextIO, redactor: RedactSecrets) -> int:
    """Copy every table from ``--from`` into ``--to`` and print the counts of both."""
    redactor.add(secrets_of_urls(args.source, args.target))
    source_at = database_of("--from", args.source)
    target_at = database_of("--to", args.target)
    if same_database(source_at, target_at):
        raise InputError("--from and --to name the same database; copy into another one")
    if isinstance(source_at, Path) and not source_at.is_file():
        raise InputError(f"--from: no database file at {printable(str(source_at))}")
    source = await Store.open(source_at, create=False)
    try:
        target = await Store.open(target_at)
        try:
            with progress_bar(None, "row", "copying") as bar:

                def set_total(total: int) -> None:
                    bar.total = total
                    bar.refresh()

                counts = await copy_store(
                    source, target, force=args.force, on_total=set_total, on_rows=bar.update
                )
        finally:
            await target.close()
    finally:
        await source.close()
    write_counts(out, counts, source_at, target_at)
    problem = mismatch(counts)
    if problem is not None:
        raise StoreError(problem)
    return 0


def _shown(target: Target) -> str:
    return str(target) if isinstance(target, PostgresUrl) else f"sqlite:///{target}"


def write_counts(out: TextIO, counts: list[TableCount], source: Target, target: Target) -> None:
    """One line per table: its rows in the source and in the target."""
    width = max(len("table"), *(len(c.table) for c in counts))
    out.write(f"copied {_shown(source)} -> {_shown(target)}\n")
    out.write(f"{'table':<{width}}  {'source':>10}  {'target':>10}\n")
    for count in counts:
        out.write(f"{count.table:<{width}}  {count.source:>10}  {count.target:>10}\n")
    total = sum(c.source for c in counts)
    out.write(f"{'total':<{width}}  {total:>10}  {sum(c.target for c in counts):>10}\n")
