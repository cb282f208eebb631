"""Which picture addresses are kept and shown (``digests.pictures``), and a story's
picture (``Story.picture``): its lead article's, else the first of its sources'."""

from __future__ import annotations

import pytest

from digests.assemble import make_story
from digests.pictures import MAX_PICTURE_CHARS, is_image_media, picture_url
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
