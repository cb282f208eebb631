"""A newsroom's RSS feed with pictures, good and hostile, served on 127.0.0.1 and polled
into a real store: what the picture and link-tag tests (issue 18) deliver end to end.

The lead story (the newest) links to ``www.news.example``, a tagged host's subdomain, and
names ``LEAD_PICTURE`` as an image ``media:content``. Other items offer what must never
show as a picture: a video, an audio file, ``javascript:``, ``data:``, ``file:`` and a
3,000-character address. Enough long items follow for a Telegram digest of several
messages. One item links to a host that is not tagged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape

from aiohttp import web

from digests.ingest.fetch import build_client
from digests.ingest.pipeline import PollReport, poll_feeds
from digests.reach_settings import Reach
from digests.settings import DigestLimits, Settings
from digests.store import Store

LEAD_URL = "https://www.news.example/harbour/budget"
LEAD_PICTURE = "https://img.news.example/harbour.jpg"
UNTAGGED_URL = "https://other.example/wire/story"
LONG_PICTURE = "https://img.news.example/" + "a" * 3000 + ".jpg"
# (marker in the item's URL, the media elements it carries)
HOSTILE = (
    ("video", '<media:content url="https://cdn.news.example/clip.mp4" medium="video"/>'),
    ("video-type", '<media:content url="https://cdn.news.example/clip2.mp4" type="video/mp4"/>'),
    ("audio", '<media:content url="https://cdn.news.example/pod.mp3" type="audio/mpeg"/>'),
    ("script", '<media:thumbnail url="javascript:alert(1)"/>'),
    ("data", '<enclosure url="data:image/png;base64,iVBORw0KGgo=" type="image/png" length="1"/>'),
    ("file", '<media:content url="file:///etc/passwd" medium="image"/>'),
    ("long", f'<media:content url="{LONG_PICTURE}" medium="image"/>'),
)
# What must appear nowhere: in no message, embed or stored row.
FORBIDDEN = (
    "clip.mp4",
    "clip2.mp4",
    "pod.mp3",
    "javascript:",
    "data:image",
    "file://",
    "/etc/passwd",
    "a" * 2049,
)
FILLERS = 16
TAGS = Reach(
    link_tags=(("utm_source", "digestbot"), ("utm_medium", "{platform}")),
    link_tag_hosts=frozenset({"news.example"}),
)


def _words(number: int, count: int) -> str:
    # Words no other item shares, so that story clustering keeps every item apart.
    return " ".join(f"{chr(97 + k % 26)}{number}q{k}" for k in range(count))


def _item(title: str, url: str, published: datetime, extra: str = "") -> str:
    return (
        f"<item><title>{escape(title)}</title><link>{escape(url)}</link>"
        f"<guid>{escape(url)}</guid><pubDate>{format_datetime(published)}</pubDate>"
        f"<description>{escape('Summary ' + _words(900, 30))}.</description>{extra}</item>"
    )


def feed_xml(now: datetime) -> bytes:
    items = [
        _item(
            "Harbour budget approved after a long night",
            LEAD_URL + "?utm_source=rss&utm_campaign=feed",
            now - timedelta(minutes=10),
            f'<media:content url="{LEAD_PICTURE}" medium="image" type="image/jpeg"/>',
        )
    ]
    for number, (marker, media) in enumerate(HOSTILE, 1):
        items.append(
            _item(
                f"Hostile picture {marker} " + _words(number, 6),
                f"https://www.news.example/hostile/{marker}",
                now - timedelta(hours=1, minutes=number),
                media,
            )
        )
    items.append(_item("Wire copy " + _words(50, 6), UNTAGGED_URL, now - timedelta(hours=2)))
    for number in range(FILLERS):
        items.append(
            _item(
                "Long story " + _words(100 + number, 35),
                f"https://news.example/long/{number}",
                now - timedelta(hours=3, minutes=number),
            )
        )
    return (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:media="http://search.yahoo.com/mrss/"><channel><title>Harbour News</title>'
        "<link>https://news.example/</link>" + "".join(items) + "</channel></rss>"
    ).encode()


def settings_with(reach: Reach) -> Settings:
    """Settings whose digests hold every item of the feed."""
    return Settings(digest=DigestLimits(per_category=40, overall=40), reach=reach)


async def serve_and_poll(
    store: Store,
    local_server: Callable[[web.Application], Awaitable[str]],
    settings: Settings,
    now: datetime,
) -> PollReport:
    """Serve the feed on 127.0.0.1 and poll it once into ``store``, category climate."""
    body = feed_xml(now)

    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed.xml", handle)
    base = await local_server(app)
    await store.upsert_feed(
        f"{base}/feed.xml", ["climate"], now=now, interval=timedelta(minutes=15)
    )
    async with build_client(settings.fetch) as client:
        return await poll_feeds(store, client, settings, now=now)


async def stored_articles(store: Store, now: datetime) -> list[tuple[str, str | None]]:
    """(URL, picture) of every stored article of the feed."""
    rows = await store.candidate_articles(
        published_since=now - timedelta(days=30), categories=["climate"]
    )
    return [(a.url, a.image_url) for a in rows]
