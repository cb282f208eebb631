"""``digestbot demo``: the whole pipeline on bundled sample feeds, offline.

A temporary SQLite database, the sample feeds served in-process (httpx's MockTransport,
so nothing touches the network), a console reader subscribed to two categories, and the
digest rendered for each platform.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TextIO

import httpx

from bot.console import ConsoleSender
from bot.wiring import App, open_app
from digests.compose import send_digest_now
from digests.feedsfile import apply_feeds_config, parse_feeds_text
from digests.ingest.pipeline import poll_feeds
from digests.models import Subscriber
from digests.settings import Settings
from digests.timeutil import FakeClock

DEMO_NOW = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
DEMO_HOST = "demo.digestbot.invalid"
DEMO_CATEGORIES = ("ai-frontier", "markets")
DEMO_TIMEZONE = "Asia/Ho_Chi_Minh"
_TYPES = {
    ".xml": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/feed+json",
    ".rdf": "application/rdf+xml",
}


def demo_file(name: str) -> bytes:
    return resources.files("bot").joinpath("demo_data", name).read_bytes()


def demo_transport() -> httpx.MockTransport:
    """Serves the bundled sample feeds for the demo host, 404 for anything else."""

    def handle(request: httpx.Request) -> httpx.Response:
        name = request.url.path.lstrip("/")
        if request.url.host != DEMO_HOST or "/" in name:
            return httpx.Response(404)
        try:
            body = demo_file(name)
        except (FileNotFoundError, IsADirectoryError):
            return httpx.Response(404)
        return httpx.Response(
            200,
            content=body,
            headers={"content-type": _TYPES.get(Path(name).suffix, "application/xml")},
        )

    return httpx.MockTransport(handle)


async def run_demo(out: TextIO, *, platform: str = "all") -> int:
    platforms = ("telegram", "discord", "plain") if platform == "all" else (platform,)
    clock = FakeClock(DEMO_NOW)
    with tempfile.TemporaryDirectory(prefix="digestbot-demo-") as folder:
        settings = Settings(database_path=Path(folder) / "demo.db")
        async with open_app(settings, clock=clock, transport=demo_transport()) as app:
            out.write(
                "digestbot demo: sample feeds, a temporary database, no network, no token\n\n"
            )
            await _ingest(app, out)
            subscribers = await _subscribe(app, out, platforms)
            await _show_digests(app, out, platforms, subscribers)
    return 0


async def _ingest(app: App, out: TextIO) -> None:
    """Steps 1 and 2: the sample feeds.toml, then one poll of every sample feed."""
    settings, now = app.settings, app.clock.now()
    config = parse_feeds_text(demo_file("feeds.toml").decode(), source="demo feeds")
    await apply_feeds_config(
        app.store, config, now=now, default_interval=settings.fetch.default_interval
    )
    out.write(
        f"1. feeds: {len(config.feeds)} feeds in {len(config.categories)} "
        f"categories: {', '.join(c.slug for c in config.categories)}\n"
    )
    async with app.http_client() as client:
        report = await poll_feeds(app.store, client, settings, now=now)
    articles = await app.store.candidate_articles(published_since=now - settings.digest.max_age)
    per_story: dict[int, set[str]] = {}
    for article in articles:
        per_story.setdefault(article.story_id, set()).add(article.source)
    shared = sum(1 for sources in per_story.values() if len(sources) > 1)
    out.write(
        f"2. ingest: {report.counts.new} articles from {report.fetched} feeds "
        f"(RSS 2.0, RSS 1.0, Atom, JSON Feed) → {len(per_story)} stories, "
        f"{shared} reported by more than one source\n"
    )


async def _subscribe(app: App, out: TextIO, platforms: tuple[str, ...]) -> list[Subscriber]:
    """Step 3: one demo subscriber per platform shown, in Ho Chi Minh City."""
    now = app.clock.now()
    subscribers: list[Subscriber] = []
    for name in platforms:
        row = await app.store.upsert_subscriber(
            "console", f"demo-{name}", now=now, timezone=DEMO_TIMEZONE
        )
        await app.store.subscribe(row.id, DEMO_CATEGORIES, now=now)
        subscribers.append(await app.store.get_subscriber(row.id))
    out.write(
        f"3. reader: subscribed to {' and '.join(DEMO_CATEGORIES)}, time zone {DEMO_TIMEZONE}\n"
    )
    return subscribers


async def _show_digests(
    app: App, out: TextIO, platforms: tuple[str, ...], subscribers: list[Subscriber]
) -> None:
    """Steps 4 and 5: each platform's digest, then proof that asking again sends nothing."""
    now, limits = app.clock.now(), app.settings.digest
    out.write("4. the digest, as each platform would receive it:\n")
    sender = ConsoleSender(out)
    for name, subscriber in zip(platforms, subscribers, strict=True):
        out.write(f"\n════════ {name} ════════")
        result = await send_digest_now(
            app.store,
            app.renderer,
            sender,
            subscriber,
            now=now,
            limits=limits,
            render_platform=name,
        )
        out.write(
            f"\n({len(result.plan.story_ids)} stories in {len(result.messages)} message(s))\n"
        )
    again = await send_digest_now(
        app.store,
        app.renderer,
        sender,
        await app.store.get_subscriber(subscribers[0].id),
        now=now,
        limits=limits,
    )
    out.write(
        "\n5. asking again at once: "
        + (
            "nothing new, so nothing is sent and no story repeats.\n"
            if not again.sent
            else "unexpected: a second digest was sent.\n"
        )
    )
