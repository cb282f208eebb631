"""What a feed item offers as its picture, and which of it is kept (issue 18).

RSS and Atom offer ``media:content`` (kept only when it is an image), ``media:thumbnail``
and image enclosures; JSON Feed offers ``image`` and ``banner_image``. The first usable
one is the item's picture (``digests.pictures.picture_url`` decides); an item that offered
some but none usable counts one picture dropped. A bad picture never costs the item.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from digests.pictures import is_image_media, picture_url
from digests.safejson import JSONInputError, find_problem, loads

JSON_PICTURE_FIELDS = ("image", "banner_image")
# A JSON string, or one of JSON's structural characters (as parse._cut_items reads them).
JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}:,]', re.S)
_PICTURE_KEYS = frozenset(f'"{name}"' for name in JSON_PICTURE_FIELDS)


def xml_pictures(entry: Any) -> list[object]:
    """What an entry offers as its picture, in order; a ``media:content`` that is not an
    image (a video, a podcast's audio) is offered as None, so that it counts as dropped."""
    offered: list[object] = [
        media["url"]
        if is_image_media(media.get("medium"), media.get("type"), media["url"])
        else None
        for media in entry.get("media_content") or []
        if media.get("url")
    ]
    offered += [media["url"] for media in entry.get("media_thumbnail") or [] if media.get("url")]
    offered += [
        enclosure["href"]
        for enclosure in entry.get("enclosures") or []
        if str(enclosure.get("type", "")).startswith("image/") and enclosure.get("href")
    ]
    return offered


def first_picture(offered: list[object], base: str) -> tuple[str | None, int]:
    """The first usable picture among those offered, and 1 when some were offered but
    none was usable (not text, not http(s), too long, not an image), else 0."""
    for raw in offered:
        if isinstance(raw, str) and not find_problem(raw):
            url = picture_url(resolve_picture(raw, base))
            if url is not None:
                return url, 0
    return None, 1 if offered else 0


def resolve_picture(raw: str, base: str) -> str | None:
    """A picture's address made absolute against ``base`` only when it names no scheme
    (``/img/a.jpg``, ``//cdn.example/a.jpg``). One that does is taken as written:
    ``urljoin`` would make ``https:`` the feed's own address and ``https:///a.jpg`` a
    path on the feed's host, where no picture was named."""
    try:
        if urlsplit(raw.strip()).scheme or not base:
            return raw
        return urljoin(base, raw.strip())
    except ValueError:
        return None


def without_pictures(item: str) -> str | None:
    """A JSON Feed item's text with each picture field's value that cannot be decoded
    (nested 100,000 deep, a number of 5,000 digits, broken) replaced by ``0`` (a picture
    that is not text: dropped and counted), or None when there is none. For an item that
    cannot be decoded because of its picture alone: the rest is still a good article."""
    depth = 0
    previous = ""
    start = -1  # where a picture field's value begins, while inside it
    cuts: list[tuple[int, int]] = []
    for match in JSON_TOKEN.finditer(item):
        token = match.group()
        if start >= 0 and depth == 1 and token in (",", "}"):
            if not _decodes(item[start : match.start()]):
                cuts.append((start, match.start()))
            start = -1
        if token in ("{", "["):
            depth += 1
        elif token in ("}", "]"):
            depth -= 1
        elif token == ":" and depth == 1 and previous in _PICTURE_KEYS:
            start = match.end()
        previous = token
    if not cuts:
        return None
    pieces, end = [], 0
    for begin, stop in cuts:
        pieces += [item[end:begin], "0"]
        end = stop
    return "".join([*pieces, item[end:]])


def _decodes(value: str) -> bool:
    try:
        loads(value, check=False)
    except JSONInputError:
        return False
    return True
