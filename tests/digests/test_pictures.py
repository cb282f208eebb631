"""Which picture addresses are kept and shown (``digests.pictures``), and a story's
picture (``Story.picture``): its lead article's, else the first of its sources'."""

from __future__ import annotations

import pytest

from digests.assemble import make_story
from digests.pictures import MAX_PICTURE_CHARS, is_image_media, picture_url, shown_host
from tests.conftest import NOW, ArticleFactory

SHORT = "https://img.example/a.jpg"


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        (SHORT, SHORT),
        ("HTTP://IMG.example:80/a.jpg#x", "http://img.example/a.jpg"),
        ("https://img.example/" + "a" * (MAX_PICTURE_CHARS - 19), None),  # 2,049
        ("https://img.example/" + "a" * 3000, None),
        # Percent-encoding may make an address longer than it was written.
        ("https://img.example/" + "é" * 700, None),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:image/png;base64,iVBORw0KGgo=", None),
        ("file:///etc/passwd", None),
        ("//img.example/a.jpg", None),
        ("/a.jpg", None),
        ("https://img.example/\ud800.jpg", None),
        ("https://img.example/a b.jpg", None),
        ("", None),
        (None, None),
        ({"url": SHORT}, None),
        (7, None),
    ],
)
def test_picture_url(raw: object, kept: str | None) -> None:
    assert picture_url(raw) == kept


def test_the_longest_picture_kept() -> None:
    url = "https://img.example/" + "a" * (MAX_PICTURE_CHARS - len("https://img.example/"))
    assert len(url) == MAX_PICTURE_CHARS and picture_url(url) == url
    assert picture_url(url + "a") is None


@pytest.mark.parametrize(
    ("medium", "mime", "image"),
    [
        ("image", None, True),
        ("Image", "", True),
        (None, "image/jpeg", True),
        ("image", "image/webp", True),
        ("video", None, False),
        (None, "video/mp4", False),
        ("audio", "audio/mpeg", False),
        ("video", "image/jpeg", False),  # they disagree: not taken as the picture
        ("image", "video/mp4", False),
        (None, None, False),  # says nothing: not known to be an image
        ("document", "application/pdf", False),
    ],
)
def test_is_image_media(medium: str | None, mime: str | None, image: bool) -> None:
    assert is_image_media(medium, mime) is image
    assert is_image_media(medium, mime, "https://img.example/a.jpg") is (
        image or not (medium or mime)
    )


@pytest.mark.parametrize(
    ("url", "image"),
    [
        ("https://i.guim.co.uk/img/media/abc/master/1000.jpg?width=140&s=ff", True),
        ("https://img.example/a.JPEG", True),
        ("https://img.example/a.webp", True),
        ("https://cdn.example/clip.mp4", False),
        ("https://cdn.example/pod.mp3", False),
        ("https://cdn.example/image", False),
        ("https://cdn.example/a.mp4?x=.jpg", False),
        ("http://[::1", False),
        (None, False),
    ],
)
def test_media_that_says_nothing_is_an_image_by_its_address(url: object, image: bool) -> None:
    """Some feeds write only the address (``<media:content url="…" width="140"/>``)."""
    assert is_image_media(None, None, url) is image


def test_a_story_shows_its_leads_picture_else_the_first_sources(
    make_article: ArticleFactory,
) -> None:
    lead = make_article(story_id=1, priority=2, image_url="https://img.example/lead.jpg")
    other = make_article(story_id=1, source="Other", image_url="https://img.example/other.jpg")
    third = make_article(story_id=1, source="Third", image_url="https://img.example/third.jpg")
    assert make_story([other, lead, third], NOW).picture == "https://img.example/lead.jpg"
    bare_lead = make_article(story_id=2, priority=2)
    second = make_article(story_id=2, source="Second", image_url="https://img.example/2.jpg")
    later = make_article(story_id=2, source="Later", image_url="https://img.example/3.jpg")
    story = make_story([later, second, bare_lead], NOW)
    assert story.lead is bare_lead and story.picture == "https://img.example/2.jpg"
    assert make_story([make_article(story_id=3)], NOW).picture is None


def test_a_stored_picture_that_is_none_is_not_shown(make_article: ArticleFactory) -> None:
    """A row stored by an older version or another entry point (a 3,000-character
    address was accepted before): the story shows the next good one, or none."""
    bad = make_article(story_id=1, priority=1, image_url="https://img.example/" + "a" * 3000)
    good = make_article(story_id=1, source="Good", image_url=SHORT)
    assert make_story([bad, good], NOW).picture == SHORT
    assert make_story([bad], NOW).picture is None


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        # A host Discord's embed check refuses: the whole message would be rejected.
        ('https://"><b>x</b>.example/a.jpg', None),
        ("https://img\x01.example/a.jpg", None),
        ("https://-img.example/a.jpg", None),
        # Nobody's client can load these: loopback, private, link-local, this machine.
        ("http://127.0.0.1/admin.jpg", None),
        ("http://[::1]/a.jpg", None),
        ("http://[::ffff:127.0.0.1]/a.jpg", None),
        ("http://10.0.0.7/a.jpg", None),
        ("http://192.168.1.1/a.jpg", None),
        ("http://169.254.169.254/latest/a.jpg", None),
        ("http://[fe80::1%25eth0]/a.jpg", None),
        ("http://localhost/a.jpg", None),
        ("http://img.localhost/a.jpg", None),
        # IPv4 shorthands that browsers expand (to 127.0.0.1 here).
        ("http://0x7f.1/a.jpg", None),
        ("http://2130706433/a.jpg", None),
        ("http://127.1/a.jpg", None),
        # Real hosts stay: public addresses, IDN (as punycode), "_" in a CDN's name.
        ("http://93.184.216.34/a.jpg", "http://93.184.216.34/a.jpg"),
        ("http://[2606:2800:220:1::1]/a.jpg", "http://[2606:2800:220:1::1]/a.jpg"),
        ("https://bücher.example/a.jpg", "https://xn--bcher-kva.example/a.jpg"),
        ("https://img_cdn.example/a.jpg", "https://img_cdn.example/a.jpg"),
        ("https://IMG.example./a.jpg", "https://img.example/a.jpg"),
    ],
)
def test_a_picture_needs_a_host_readers_can_load(raw: str, kept: str | None) -> None:
    assert picture_url(raw) == kept


def test_shown_host_without_public_accepts_private_addresses() -> None:
    """The preview link (an article's own page) is checked for its form only."""
    assert shown_host("http://127.0.0.1/a", public=False)
    assert shown_host("http://localhost/a", public=False)
    assert not shown_host('http://"><b>.example/a', public=False)
