"""A feed item's picture (issue 18): a ``media:content`` counts only when it is an image,
only an http(s) address of at most 2,048 characters is kept, a JSON Feed ``image`` that
is not text costs the item its picture, not the item, and each refusal is counted."""

from __future__ import annotations

import json
from html import unescape

import pytest

from digests.ingest.normalise import entry_to_article
from digests.ingest.parse import parse_feed
from tests.conftest import NOW

FEED_URL = "https://feeds.example/news/rss.xml"
LONG = "https://img.example/" + "a" * 3000 + ".jpg"


def rss(media: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">'
        "<channel><title>T</title><item><title>One</title>"
        f"<link>https://news.example/one</link>{media}</item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("media", "picture", "dropped"),
    [
        (
            '<media:content url="https://img.example/a.jpg" medium="image"/>',
            "https://img.example/a.jpg",
            0,
        ),
        (
            '<media:content url="https://img.example/a.jpg" type="image/jpeg"/>',
            "https://img.example/a.jpg",
            0,
        ),
        ('<media:content url="https://cdn.example/v.mp4" medium="video"/>', None, 1),
        ('<media:content url="https://cdn.example/v.mp4" type="video/mp4"/>', None, 1),
        ('<media:content url="https://cdn.example/p.mp3" type="audio/mpeg"/>', None, 1),
        (
            '<media:content url="https://cdn.example/v.jpg" medium="video" type="image/jpeg"/>',
            None,
            1,
        ),
        # Says nothing of what it is: an image only when its address names an image file.
        ('<media:content url="https://cdn.example/thing"/>', None, 1),
        ('<media:content url="https://cdn.example/v.mp4"/>', None, 1),
        (
            '<media:content width="140" url="https://i.example/m/1000.jpg?width=140"/>',
            "https://i.example/m/1000.jpg?width=140",
            0,
        ),
        # A video next to a thumbnail: the thumbnail is the picture, nothing is lost.
        (
            '<media:content url="https://cdn.example/v.mp4" medium="video"/>'
            '<media:thumbnail url="https://img.example/t.jpg"/>',
            "https://img.example/t.jpg",
            0,
        ),
        ('<media:thumbnail url="javascript:alert(1)"/>', None, 1),
        (
            '<enclosure url="data:image/png;base64,iVBORw0KGgo=" type="image/png" length="1"/>',
            None,
            1,
        ),
        (
            '<enclosure url="https://img.example/e.png" type="image/png" length="1"/>',
            "https://img.example/e.png",
            0,
        ),
        ('<enclosure url="https://cdn.example/p.mp3" type="audio/mpeg" length="1"/>', None, 0),
        ('<media:content url="file:///etc/passwd" medium="image"/>', None, 1),
        (f'<media:content url="{LONG}" medium="image"/>', None, 1),
        # A relative address is the feed's: resolved against where it was found.
        (
            '<media:content url="../img/r.jpg" medium="image"/>',
            "https://feeds.example/img/r.jpg",
            0,
        ),
        ("", None, 0),
    ],
)
def test_an_rss_items_picture(media: str, picture: str | None, dropped: int) -> None:
    (entry,) = parse_feed(rss(media), url=FEED_URL).entries
    assert (entry.image, entry.pictures_dropped) == (picture, dropped)
    article = entry_to_article(entry, source="T", now=NOW, first_import=False)
    assert article is not None and article.image_url == picture


def json_feed(**fields: object) -> bytes:
    item = {"id": "1", "url": "https://news.example/one", "title": "One", **fields}
    return json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [item]}
    ).encode()


def nested(depth: int) -> object:
    value: object = "https://img.example/deep.jpg"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("fields", "picture", "dropped"),
    [
        ({"image": "https://img.example/a.jpg"}, "https://img.example/a.jpg", 0),
        ({"image": {}}, None, 1),
        ({"image": 7}, None, 1),
        ({"image": ["https://img.example/a.jpg"]}, None, 1),
        ({"image": True}, None, 1),
        ({"image": nested(200)}, None, 1),
        ({"image": "https://img.example/\ud800.jpg"}, None, 1),
        ({"image": "javascript:alert(1)"}, None, 1),
        ({"image": LONG}, None, 1),
        ({"banner_image": {"url": "x"}}, None, 1),
        # A bad image, then a good banner: the banner is the picture.
        ({"image": 7, "banner_image": "https://img.example/b.jpg"}, "https://img.example/b.jpg", 0),
        (
            {"image": "", "banner_image": "https://img.example/b.jpg"},
            "https://img.example/b.jpg",
            0,
        ),
        ({"image": "/img/rel.jpg"}, "https://feeds.example/img/rel.jpg", 0),
        ({}, None, 0),
    ],
)
def test_a_json_feed_items_picture(
    fields: dict[str, object], picture: str | None, dropped: int
) -> None:
    parsed = parse_feed(json_feed(**fields), url=FEED_URL)
    assert parsed.skipped == ()  # the item stays, whatever its picture
    (entry,) = parsed.entries
    assert entry.title == "One"
    assert (entry.image, entry.pictures_dropped) == (picture, dropped)


@pytest.mark.parametrize(
    ("address", "picture", "dropped"),
    [
        # A scheme without a host names no picture: never the feed's own address, nor a
        # path guessed on the feed's host.
        ("https:", None, 1),
        ("https:///img/a.jpg", None, 1),
        ("https:img/a.jpg", None, 1),
        ("HTTPS:", None, 1),
        # No scheme: the feed's, as written relative to it.
        ("//cdn.example/a.jpg", "https://cdn.example/a.jpg", 0),
        ("/img/a.jpg", "https://feeds.example/img/a.jpg", 0),
        # Markup in the host, a private address: left out, and counted.
        ("https://&quot;&gt;&lt;b&gt;.example/a.jpg", None, 1),
        ("http://127.0.0.1/admin.jpg", None, 1),
        ("http://[::1]/a.jpg", None, 1),
    ],
)
def test_a_picture_address_with_a_scheme_is_taken_as_written(
    address: str, picture: str | None, dropped: int
) -> None:
    media = f'<media:content url="{address}" medium="image"/>'
    (entry,) = parse_feed(rss(media), url=FEED_URL).entries
    assert (entry.image, entry.pictures_dropped) == (picture, dropped)
    (item,) = parse_feed(json_feed(image=unescape(address)), url=FEED_URL).entries
    assert (item.image, item.pictures_dropped) == (picture, dropped)


def raw_json_feed(image: str, banner: str = '"https://img.example/b.jpg"') -> bytes:
    """A JSON Feed whose first item's ``image`` is the JSON text ``image`` as written."""
    return (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
        '{"id": "1", "url": "https://news.example/one", "title": "One", '
        f'"image": {image}, "summary": "S", "banner_image": {banner}}},'
        '{"id": "2", "url": "https://news.example/two", "title": "Two"}]}'
    ).encode()


DEEP = "[" * 100_000 + "]" * 100_000
BANNER = '"https://img.example/b.jpg"'


@pytest.mark.parametrize(
    ("image", "banner", "picture", "dropped"),
    [
        (DEEP, BANNER, "https://img.example/b.jpg", 0),
        ("9" * 5000, BANNER, "https://img.example/b.jpg", 0),
        ("[1, 2,, 3]", BANNER, "https://img.example/b.jpg", 0),
        ('{"a": ' * 50_000 + "1" + "}" * 50_000, "null", None, 1),
        ('"https://img.example/a.jpg"', DEEP, "https://img.example/a.jpg", 0),
        (DEEP, "9" * 5000, None, 1),
    ],
)
def test_a_json_feed_image_that_cannot_be_decoded_costs_the_picture_only(
    image: str, banner: str, picture: str | None, dropped: int
) -> None:
    """Nested 100,000 deep, 5,000 digits, broken: the item is kept with its other fields
    (decoded with that picture field as a non-text value, counted when nothing is left)."""
    parsed = parse_feed(raw_json_feed(image, banner), url=FEED_URL)
    assert parsed.skipped == ()
    one, two = parsed.entries
    assert (one.title, one.summary_html, two.title) == ("One", "S", "Two")
    assert (one.image, one.pictures_dropped) == (picture, dropped)


def test_an_item_broken_elsewhere_is_still_skipped() -> None:
    parsed = parse_feed(
        raw_json_feed('"https://img.example/a.jpg", "id": 9' + "9" * 5000), url=FEED_URL
    )
    assert [e.title for e in parsed.entries] == ["Two"]
    assert len(parsed.skipped) == 1 and parsed.skipped[0].startswith("item 1:")
