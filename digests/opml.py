"""OPML in and out: a subscription list exported by another feed reader (Feedly,
Inoreader, miniflux, RSS-to-Telegram-Bot, …) read into feeds with their folders, and the
bot's feeds and categories written back as OPML 2.0.

Pure: bytes in, plain data out, and the reverse. Before any parser sees a file, a byte
scan checks its size, nesting depth, element count and entity declarations, so a hostile
file is refused in one line without building a tree. listparser is only ever given bytes,
never a URL, so nothing is fetched; it parses with the standard library's HTML tokenizer
(lxml is not installed), which neither expands declared entities nor loads external ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

import listparser

from digests.errors import InputError
from digests.feedsfile import MAX_NAME_CHARS, reject_credentials
from digests.models import Category
from digests.terminal import BIDI_CONTROLS
from digests.urls import InvalidURL, canonical_url

# The largest exports seen in the wild hold a few thousand feeds in well under 1 MB; these
# caps leave room for ten times that and keep a hostile file cheap to refuse.
MAX_OPML_BYTES = 8 * 1024 * 1024
MAX_OUTLINES = 10_000
MAX_DEPTH = 32
# Elements of any kind (head, title, stray tags): bounds the scan's loop.
MAX_ELEMENTS = 4 * MAX_OUTLINES + 100

# One tag: a start, end or empty tag (declarations, comments and processing instructions
# do not match). Attribute values cannot hold "<" in XML, so every attempt stops at the
# next "<" and the scan stays linear even in a file of unclosed quotes.
_TAG = re.compile(rb"""<(/?)([A-Za-z_][^\s/<>"']*)((?:[^<>"']|"[^"<]*"|'[^'<]*')*)>""")
_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_BOM = b"\xef\xbb\xbf"
# Characters XML 1.0 cannot carry at all, not even as a character reference.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ATTR_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\t": "&#9;",
        "\n": "&#10;",
        "\r": "&#13;",
    }
)


class OpmlError(InputError):
    """The OPML file cannot be imported at all; the message says why in one line."""


@dataclass(frozen=True)
class OpmlFeed:
    """One feed of the list: its canonical URL, a name fit to show (or None), and every
    folder path it was found under (outermost folder first; a ``category`` attribute
    counts as a path too)."""

    url: str
    name: str | None
    paths: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Skipped:
    """An outline that is not imported: what it said, and why (shown to the operator)."""

    url: str
    reason: str


@dataclass(frozen=True)
class OpmlList:
    feeds: tuple[OpmlFeed, ...]
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True)
class ExportFeed:
    url: str
    text: str


def check_shape(data: bytes) -> None:
    """Raise OpmlError when ``data`` is empty, too large, declares entities or a DOCTYPE,
    or nests or counts its elements past the caps; a byte scan, no tree is built."""
    if not data.strip():
        raise OpmlError("the file is empty")
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(too_large(len(data)))
    if _DECLARATION.search(data):
        # Exports never carry one; refusing them rules out entity expansion of any kind.
        raise OpmlError("DOCTYPE and ENTITY declarations are not accepted in an OPML file")
    depth = elements = outlines = 0
    for match in _TAG.finditer(data):
        closing, name, rest = match.groups()
        if closing:
            depth = max(depth - 1, 0)
            continue
        elements += 1
        if name.rsplit(b":", 1)[-1].lower() == b"outline":
            outlines += 1
            if outlines > MAX_OUTLINES:
                raise OpmlError(f"more than {MAX_OUTLINES:,} outlines in one file")
        if elements > MAX_ELEMENTS:
            raise OpmlError(f"more than {MAX_ELEMENTS:,} elements in one file")
        if not rest.rstrip().endswith(b"/"):
            depth += 1
            if depth > MAX_DEPTH:
                raise OpmlError(f"outlines nested more than {MAX_DEPTH} deep")


def too_large(size: int) -> str:
    return f"the file is too large ({size:,} bytes; at most {MAX_OPML_BYTES:,})"


def parse_opml(data: bytes) -> OpmlList:
    """The feeds of an OPML subscription list, each once under its canonical URL with
    every folder it was in, and the outlines skipped with their reasons. Raises OpmlError
    when the file as a whole cannot be used."""
    check_shape(data)
    data = data.removeprefix(_BOM)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OpmlError(f"the file is not UTF-8 text (bad byte at offset {exc.start})") from None
    try:
        result = listparser.parse(data)
    except Exception as exc:  # a third-party parser on hostile bytes: one line, whatever it is
        raise OpmlError(f"cannot parse the file as OPML: {type(exc).__name__}") from None
    if not str(result.get("version", "")).startswith("opml"):
        raise OpmlError("not an OPML file (no <opml> element)")
    merged: dict[str, OpmlFeed] = {}
    skipped: list[Skipped] = []
    for entry in result["feeds"]:
        raw = str(entry.get("url", ""))
        try:
            reject_credentials(raw)
            url = canonical_url(raw)
        except ValueError as exc:  # InvalidURL included
            skipped.append(Skipped(raw, _reason(exc)))
            continue
        paths = tuple(tuple(str(p) for p in path) for path in entry.get("categories", ()))
        before = merged.get(url)
        if before is not None:  # the same feed twice (two folders, or two spellings)
            paths = tuple(dict.fromkeys(before.paths + paths))
            merged[url] = OpmlFeed(url, before.name, paths)
            continue
        merged[url] = OpmlFeed(url, safe_name(str(entry.get("title") or ""), url), paths)
    for entry in result["lists"]:
        skipped.append(Skipped(str(entry.get("url", "")), "a link to another list, not fetched"))
    for entry in result["opportunities"]:
        skipped.append(Skipped(str(entry.get("url", "")), "a web page without a feed URL"))
    return OpmlList(tuple(merged.values()), tuple(skipped))


def _reason(exc: ValueError) -> str:
    if isinstance(exc, InvalidURL):
        return "not an http(s) feed URL"
    return "credentials in the URL"


def safe_name(text: str, url: str) -> str | None:
    """A name readers may see, from an outline's text: control and bidi characters
    dropped (they could spoof it), cut to the longest name allowed; None when nothing
    is left or it only repeats the URL."""
    name = "".join(c for c in text if c not in BIDI_CONTROLS and c.isprintable())
    name = " ".join(name.split())[:MAX_NAME_CHARS]
    if not name or name == url:
        return None
    return name


def assign_categories(
    paths: Sequence[Sequence[str]], categories: Sequence[Category]
) -> tuple[str, ...]:
    """The category slugs a feed goes to: for each of its paths, the innermost folder
    whose title matches a category's slug or name (any case), else an outer one's.
    Empty when no folder matches."""
    by_key: dict[str, str] = {}
    for category in categories:
        by_key.setdefault(category.name.strip().casefold(), category.slug)
        by_key[category.slug.casefold()] = category.slug
    found: list[str] = []
    for path in paths:
        for folder in reversed(path):
            slug = by_key.get(folder.strip().casefold())
            if slug:
                found.append(slug)
                break
    return tuple(dict.fromkeys(found))


def xml_attr(value: str) -> str:
    """``value`` as the inside of a double-quoted XML attribute: characters XML cannot
    carry dropped, markup and white space escaped (so a newline survives a round trip)."""
    return _NOT_XML.sub("", value).translate(_ATTR_ESCAPES)


def build_opml(
    groups: Sequence[tuple[Category, Sequence[ExportFeed]]], *, created: datetime
) -> str:
    """An OPML 2.0 document with one folder per category (its name as the title, its
    slug in a ``category`` attribute) holding that category's feeds; each feed also names
    the slug in its own ``category`` attribute, so readers that keep no folders keep it."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        "    <title>digestbot feeds</title>",
        f"    <dateCreated>{format_datetime(created, usegmt=True)}</dateCreated>",
        "    <docs>https://opml.org/spec2.opml</docs>",
        "  </head>",
        "  <body>",
    ]
    for category, feeds in groups:
        name = xml_attr(category.name)
        slug = xml_attr(category.slug)
        lines.append(f'    <outline text="{name}" title="{name}" category="{slug}">')
        for feed in feeds:
            text = xml_attr(feed.text)
            lines.append(
                f'      <outline type="rss" text="{text}" title="{text}" '
                f'xmlUrl="{xml_attr(feed.url)}" category="/{slug}"/>'
            )
        lines.append("    </outline>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)
