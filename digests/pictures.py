"""Which picture addresses digestbot keeps and shows.

A picture is an article's image as its feed (or import) names it. Only an absolute
http(s) address of at most MAX_PICTURE_CHARS counts: ``javascript:``, ``data:`` and
``file:`` never reach a reader, and an address longer than any real image's is noise. The
same check runs at ingest (what is stored) and at rendering (rows stored before it, or by
another entry point), so what a reader sees never depends on where an article came from.

Its host must be a real host name or a public IP address. A name with quotes, markup or
control characters makes Discord refuse the whole message (a malformed embed URL). A
loopback, private or link-local address (``127.0.0.1``, ``[::1]``, ``169.254.169.254``,
``localhost``) is no picture anyone can load: Discord fetches embed images through its
media proxy on the public internet, and Telegram draws its preview from the article's
page. Nothing in digestbot ever fetches a picture, so this is about readers, not SSRF.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from digests.urls import InvalidURL, canonical_url

MAX_PICTURE_CHARS = 2048
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
# A host name's labels as a canonical URL writes them (lower case, IDN as punycode); "_"
# appears in real CDN names.
_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?")
# A last label of digits or hex (1.2.3, 0x7f.1, 2130706433) is an IPv4 address in some
# shorthand that browsers and proxies expand: only the dotted-quad form is accepted.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")


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
    if len(url) > MAX_PICTURE_CHARS or not shown_host(url, public=True):
        return None
    return url


def preview_link(url: object) -> str | None:
    """``url`` when Telegram can be asked to preview it, else None (no preview, the message
    still goes): an absolute http(s) address of at most MAX_PICTURE_CHARS with a well-formed
    host. An article's page may be on any host, so a private one is not refused here."""
    if not isinstance(url, str) or len(url) > MAX_PICTURE_CHARS:
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https") or url != url.strip():
        return None
    return url if shown_host(url, public=False) else None


def shown_host(url: str, *, public: bool) -> bool:
    """Whether a canonical http(s) ``url`` names a host a reader's client can use: a DNS
    name of letters, digits, ``-`` and ``_``, or an IP address (with ``public``: neither
    a name for this machine nor a loopback, private, link-local or reserved address)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        labels = host.split(".")
        if not all(_LABEL.fullmatch(label) for label in labels):
            return False
        if _NUMERIC_LABEL.fullmatch(labels[-1]):
            return False
        return not (public and labels[-1] == "localhost")
    return address.is_global or not public


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
