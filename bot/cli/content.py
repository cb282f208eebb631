"""``ingest``, ``import`` and ``preview``: articles in from feeds or a file, and the
digest a subscriber would get out of them now."""

from __future__ import annotations

import argparse
import json
import os
from typing import TextIO

from bot.cli.progress import progress_bar
from bot.console import format_message
from bot.wiring import App
from digests.errors import InputError
from digests.ingest.importer import ImportFileError, import_records, iter_records
from digests.ingest.pipeline import poll_feeds
from digests.outgoing import OutgoingMessage
from digests.pictures import MAX_PICTURE_CHARS
from digests.preview import preview_digest, require_known
from digests.terminal import printable
from digests.timeutil import parse_iso


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
    with progress_bar(len(feeds), "feed", "polling") as bar:
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
    if report.pictures_dropped:
        out.write(
            f"  {report.pictures_dropped} pictures left out (not an image, not a public "
            f"http(s) address, or over {MAX_PICTURE_CHARS:,} characters)\n"
        )
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
        raise InputError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    with (
        handle,
        progress_bar(size or None, "B", "importing", unit_scale=True) as bar,
    ):
        try:
            report = await import_records(
                app.store,
                iter_records(handle, progress=bar.update),
                now=app.clock.now(),
                story_window=app.settings.story_window,
            )
        except ImportFileError as exc:  # the message gains the file's name
            raise InputError(f"{args.file}: {exc}") from None
        except OSError as exc:  # a read error part-way (a directory, a vanished disk)
            raise InputError(f"cannot read {args.file}: {exc.strerror or exc}") from None
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
    await require_known(app.store, slugs)
    since = None
    if args.since:
        try:
            since = parse_iso(args.since)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    preview = await preview_digest(
        app.store,
        app.renderer,
        app.settings,
        categories=slugs,
        platform=args.platform,
        now=now,
        language=args.lang,
        timezone=args.timezone,
        since=since,
    )
    for message in preview.messages:
        out.write(shown(message, as_json=args.json) + "\n")
    return 0


def shown(message: OutgoingMessage, *, as_json: bool) -> str:
    """A previewed message as the console shows it, naming its picture: the link Telegram
    previews (large, above the text) and the Discord embed's image (the plain text names
    its own in a line)."""
    if as_json:
        data = json.loads(format_message(message, as_json=True))
        data["preview_url"] = message.preview_url
        return json.dumps(data, ensure_ascii=False, indent=2)
    lines = [format_message(message)]
    if message.preview_url:
        lines.append(f"[link preview, large, above the text: {printable(message.preview_url)}]")
    for number, embed in enumerate(message.embeds, 1):
        image = embed.get("image") or {}
        if image.get("url"):
            lines.append(f"[embed {number}'s picture: {printable(str(image['url']))}]")
    return "\n".join(lines)
