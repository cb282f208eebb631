"""Which picture addresses digestbot keeps and shows.

A picture is an article's image as its feed (or import) names it. Only an absolute
http(s) address of at most MAX_PICTURE_CHARS counts: ``javascript:``, ``data:`` and
``file:`` never reach a reader, and an address longer than any real image's is noise. The
same check runs at ingest (what is stored) and at rendering (rows stored before it, or by
another entry point), so what a reader sees never depends on where an article came from.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from digests.urls import InvalidURL, canonical_url

MAX_PICTURE_CHARS = 2048
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")


def picture_url(raw: object) -> str | None:
    """The canonical address of a picture, or None when ``raw`` cannot be one: not text,
    not an absolute http(s) URL, or longer than MAX_PICTURE_CHARS (before or after
    canonicalising, which may percent-encode it longer)."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_PICTURE_CHARS:
        return None
    try:
        url = canonical_url(raw)
    except InvalidURL:
        return None
    return url if len(url) <= MAX_PICTURE_CHARS else None


def is_image_media(medium: object, mime: object, url: object = "") -> bool:
    """Whether a ``media:content`` element is an image, by its ``medium`` or ``type``.

    One of them must say image, and neither may say something else (``medium="video"``
    with an image type is a video's poster frame mislabelled, not the article's picture).
    When both are missing (The Guardian's feeds, among others, write only the address),
    an address whose path ends in an image file's extension counts.
    """
    kind = str(medium or "").strip().lower()
    media_type = str(mime or "").strip().lower()
    if not kind and not media_type:
        try:
            path = urlsplit(url).path.lower() if isinstance(url, str) else ""
        except ValueError:  # "http://[::1": no address, so no picture
            return False
        return path.endswith(IMAGE_EXTENSIONS)
    says_image = kind == "image" or media_type.startswith("image/")
    says_other = bool(kind and kind != "image") or bool(
        media_type and not media_type.startswith("image/")
    )
    return says_image and not says_other
