"""``digestbot breaking``: preview and start a breaking push after confirmation, or follow
one (``status``, ``cancel``). Mistakes (no such category or article, a push already
running) are ``UserFacingError``s from the core: one line, exit 2."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TextIO

from bot.console import format_message
from bot.wiring import App
from digests import breaking
from digests.errors import InputError
from digests.models import Article


async def cmd_breaking(args: argparse.Namespace, app: App, out: TextIO) -> int:
    now = app.clock.now()
    if args.action is not None:
        return await _follow(args, app, out, now)
    if not args.category:
        raise InputError("--category is required to start a push")
    if args.article is None and not args.url:
        raise InputError("give --article ID, or --url URL (with --title for a new article)")
    article = await _resolve(args, app, now)
    story = await breaking.story_of(app.store, article, now)
    audience = await app.store.active_subscribers_of(args.category)
    shown = breaking.preview(
        app.renderer, story, platform="console", language=app.settings.default_language, now=now
    )
    out.write(format_message(shown) + "\n")
    out.write(f"\n→ {len(audience)} active subscribers of {args.category}, on every platform\n")
    if not _confirmed(args, article, out):
        out.write("not sent\n")
        return 1
    # A new article is stored with its push, or not at all (a push refused while another
    # goes out leaves no article behind).
    report = await breaking.start_audited_push(
        app.store,
        app.renderer,
        category=args.category,
        article=article,
        actor="cli",
        platform="cli",
        now=now,
        story_window=app.settings.story_window,
    )
    out.write(report.line() + "\n")
    out.write(
        "a running `digestbot run` delivers it; follow it with "
        f"`digestbot breaking status {report.push_id}`\n"
    )
    return 0


async def _follow(args: argparse.Namespace, app: App, out: TextIO, now: datetime) -> int:
    """``breaking status [ID]`` or ``breaking cancel ID`` (default: the latest push)."""
    push_id = args.push_id or await app.store.latest_push_id()
    if push_id is None:
        raise InputError("there has been no breaking push yet")
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


async def _resolve(args: argparse.Namespace, app: App, now: datetime) -> Article:
    # A new article stays a draft: it is stored with its push, once confirmed, or never.
    return await breaking.resolve_article(
        app.store,
        category=args.category,
        now=now,
        article_id=args.article,
        url=args.url,
        title=args.title,
        summary=args.summary,
        story_window=app.settings.story_window,
        store_new=False,
    )


def _confirmed(args: argparse.Namespace, article: Article, out: TextIO) -> bool:
    """Whether the push may go: asked on the terminal unless confirmed by flags."""
    mismatch = breaking.other_category(article, args.category)
    if mismatch and not args.cross_category:
        # --yes confirms the push, not that it goes to readers of another category.
        if not sys.stdin.isatty():
            raise InputError(f"{mismatch}: add --cross-category to push it there anyway")
        out.write(f"{mismatch}.\n")
        out.flush()
        return _yes(f"Send it to {args.category} anyway? [y/N] ")
    if not args.yes:
        if not sys.stdin.isatty():
            raise InputError("add --yes to confirm the push (no terminal to ask on)")
        return _yes("Send it now? [y/N] ")
    return True


def _yes(question: str) -> bool:
    return input(question).strip().lower() in ("y", "yes")
