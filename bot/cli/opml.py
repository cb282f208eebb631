"""``feeds import FILE.opml`` and ``feeds export``: feeds in from another reader's OPML
export, sorted into the categories its folders name, and out again as OPML 2.0.

The file is read as bytes under a size cap (a larger one is refused from its size, never
read); the checks and the parsing are :mod:`digests.opml`'s.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from bot.cli.feeds import require_categories
from bot.cli.progress import progress_bar
from bot.wiring import App
from digests.errors import InputError
from digests.models import Category
from digests.opml import (
    MAX_OPML_BYTES,
    ExportFeed,
    OpmlError,
    OpmlFeed,
    assign_categories,
    build_opml,
    folder_index,
    parse_opml,
    too_large,
)
from digests.terminal import printable

# Feeds added per transaction: the progress bar moves between them.
CHUNK = 500
# The longest folder title the report shows (in characters).
MAX_FOLDER_SHOWN = 80


def read_capped(path: Path) -> bytes:
    """The file's bytes; OpmlError when it cannot be read or is larger than the cap
    (checked from its size first, then by reading at most one byte past the cap, for a
    pipe or a file growing meanwhile). One read into a buffer of the size needed: a
    read of n bytes allocates n at once, so a small file is not read into 8 MiB."""
    try:
        regular = path.is_file()
        size = path.stat().st_size
        if regular and size > MAX_OPML_BYTES:
            raise OpmlError(f"{printable(str(path))}: {too_large(size)}")
        with path.open("rb") as stream:
            data = stream.read((size if regular else MAX_OPML_BYTES) + 1)
            if regular and len(data) > size:  # it grew meanwhile: read on, to the cap
                data += stream.read(MAX_OPML_BYTES + 1 - len(data))
    except OSError as exc:
        raise OpmlError(f"cannot read {printable(str(path))}: {exc.strerror or exc}") from None
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(f"{printable(str(path))}: the file is larger than {MAX_OPML_BYTES:,} bytes")
    return data


def plan_import(
    feeds: tuple[OpmlFeed, ...], categories: list[Category], fallback: str | None
) -> tuple[list[tuple[OpmlFeed, tuple[str, ...]]], list[OpmlFeed]]:
    """Each feed with the categories it goes to, and the feeds that match none (pure);
    with a fallback slug, none is left unmatched."""
    planned: list[tuple[OpmlFeed, tuple[str, ...]]] = []
    unmatched: list[OpmlFeed] = []
    by_key = folder_index(categories)
    for feed in feeds:
        slugs = assign_categories(feed.paths, by_key) or ((fallback,) if fallback else ())
        if slugs:
            planned.append((feed, slugs))
        else:
            unmatched.append(feed)
    return planned, unmatched


def folders_shown(feed: OpmlFeed) -> str:
    """A feed's folder paths as the report names them, cut short: a folder's title can be
    megabytes long and thousands of feeds share it, so the lines would multiply it."""
    paths = [" > ".join(_cut(f, MAX_FOLDER_SHOWN) for f in p) for p in feed.paths]
    shown = " / ".join(_cut(p, 3 * MAX_FOLDER_SHOWN) for p in paths[:3])
    more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
    return (shown + more) or "no folder"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_stdin() -> bytes:
    """The standard input's bytes (``feeds import -``), read once up to the cap."""
    try:
        data = sys.stdin.buffer.read(MAX_OPML_BYTES + 1)
    except (AttributeError, OSError, ValueError) as exc:  # none, closed, or text only
        raise OpmlError(f"cannot read the standard input: {exc}") from None
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(f"the standard input is larger than {MAX_OPML_BYTES:,} bytes")
    return data


async def cmd_feeds_import(args: argparse.Namespace, app: App, out: TextIO) -> int:
    path = Path(args.file)
    data = read_stdin() if args.file == "-" else read_capped(path)
    # A file name may hold anything, escapes included.
    shown = "standard input" if args.file == "-" else printable(str(path))
    try:
        parsed = parse_opml(data)
    except OpmlError as exc:
        raise OpmlError(f"{shown}: {exc}") from None
    if args.category:
        await require_categories(app, [args.category])
    categories = await app.store.list_categories()
    if not categories:  # nothing any folder could match, nor --category name
        raise InputError(
            "no categories yet: declare them in the feeds file and run 'digestbot feeds sync' "
            "before importing"
        )
    planned, unmatched = plan_import(parsed.feeds, categories, args.category)
    if unmatched:
        for feed in unmatched:
            out.write(f"  no category: {printable(feed.url)} ({printable(folders_shown(feed))})\n")
        raise InputError(
            f"{len(unmatched)} of {len(parsed.feeds)} feeds in {shown} match no category by "
            "folder; name one for them with --category SLUG (nothing was imported)"
        )
    known = {f.url: f for f in await app.store.list_feeds()}
    new = [(f, slugs) for f, slugs in planned if f.url not in known]
    added: set[str] = set()
    with progress_bar(len(new), "feed", "importing") as bar:
        for start in range(0, len(new), CHUNK):
            chunk = new[start : start + CHUNK]
            added.update(
                await app.store.add_new_feeds(
                    [(f.url, f.name, slugs) for f, slugs in chunk],
                    now=app.clock.now(),
                    interval=app.settings.fetch.default_interval,
                    origin="import",
                )
            )
            bar.update(len(chunk))
    already = 0
    for feed, slugs in planned:
        if feed.url in added:
            out.write(f"  added: {printable(feed.url)} in {', '.join(slugs)}\n")
            continue
        already += 1
        before = known.get(feed.url)
        state = f"in {', '.join(before.categories)}" if before else "added meanwhile"
        if before and before.disabled:
            state += ", disabled; 'feeds add' turns it back on"
        out.write(f"  already known, left as it is: {printable(feed.url)} ({state})\n")
    for skip in parsed.skipped:
        out.write(f"  skipped: {printable(skip.url) or '(no URL)'}: {skip.reason}\n")
    out.write(
        f"{shown}: {len(added)} added, {already} already known, {len(parsed.skipped)} skipped\n"
    )
    return 0


async def cmd_feeds_export(args: argparse.Namespace, app: App, out: TextIO) -> int:
    categories = await app.store.list_categories()
    if args.category:
        await require_categories(app, [args.category])
        categories = [c for c in categories if c.slug == args.category]
    feeds = [f for f in await app.store.list_feeds() if not f.disabled]
    groups = [
        (c, [ExportFeed(f.url, f.display_name) for f in feeds if c.slug in f.categories])
        for c in categories
    ]
    text = build_opml(groups, created=app.clock.now())
    if not args.output or args.output == "-":  # "-": the standard output, as for import
        out.write(text)
        return 0
    target = Path(args.output)
    for kept, what in (
        (app.settings.database_path, "database"),
        (app.settings.feeds_file, "feeds file"),
    ):
        if _same_file(target, kept):  # a slip of the shell's completion would destroy it
            raise InputError(f"{printable(str(target))} is the {what}; export to another file")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {printable(str(target))}: {exc.strerror or exc}") from None
    count = sum(len(g[1]) for g in groups)
    out.write(f"wrote {count} feeds in {len(groups)} categories to {printable(str(target))}\n")
    return 0


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False
