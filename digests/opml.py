"""OPML in and out: a subscription list exported by another feed reader (Feedly,
Inoreader, miniflux, RSS-to-Telegram-Bot, …) read into feeds with their folders, and the
bot's feeds and categories written back as OPML 2.0.

Pure: bytes in, plain data out, and the reverse. Before any parser sees a file, a byte
scan checks its size, nesting depth, element count and entity declarations, so a hostile
file is refused in one line without building a tree. Then :mod:`digests.opml_text`
decodes it, checks the caps again on what expat reads and rewrites it as plain markup,
which is all listparser sees. listparser is given bytes, never a URL, so nothing is
fetched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import urlsplit, urlunsplit

import listparser

from digests.feedsfile import MAX_NAME_CHARS, reject_credentials
from digests.models import Category
from digests.opml_text import (
    DECLARATION_REFUSED,
    MAX_DEPTH,
    MAX_ELEMENTS,
    MAX_OPML_BYTES,
    MAX_OUTLINES,
    NOT_XML,
    OpmlError,
    decode_opml,
    rewrite_for_listparser,
    too_large,
)
from digests.urls import MAX_URL_CHARS, InvalidURL, canonical_url

# One tag: a start, end or empty tag (declarations, comments and processing instructions
# do not match). Attribute values cannot hold "<" in XML, so every attempt stops at the
# next "<" and the scan stays linear even in a file of unclosed quotes; possessive, so a
# failed attempt (text="<") gives up at once instead of backtracking through the tag.
_TAG = re.compile(rb"""<(/?)([A-Za-z_][^\s/<>"']*+)((?:[^<>"']++|"[^"<]*+"|'[^'<]*+')*+)>""")
_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# feed://, itpc:// and pcast:// hand a feed to a reader app; the feed is at the same
# address over http (feed:https://… wraps a whole address).
_APP_SCHEME = re.compile(r"\s*(?:feed|itpc|pcast|podcast):", re.IGNORECASE)
MAX_SHOWN_URL = 300
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
        raise OpmlError(DECLARATION_REFUSED)
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


def parse_opml(data: bytes) -> OpmlList:
    """The feeds of an OPML subscription list, each once under its canonical URL with
    every folder it was in, and the outlines skipped with their reasons. Raises OpmlError
    when the file as a whole cannot be used."""
    check_shape(data)
    rewritten = rewrite_for_listparser(decode_opml(data))
    try:
        result = listparser.parse(rewritten)
    except Exception as exc:  # a third-party parser on hostile bytes: one line, whatever it is
        raise OpmlError(f"cannot parse the file as OPML: {type(exc).__name__}") from None
    if not str(result.get("version", "")).startswith("opml"):
        raise OpmlError("not an OPML file (no <opml> element)")
    merged: dict[str, OpmlFeed] = {}
    # Each feed's paths, in the order found: one dict per feed, so that many spellings of
    # one feed cost no more than one spelling each.
    paths_of: dict[str, dict[tuple[str, ...], None]] = {}
    skipped: list[Skipped] = []
    for entry in result["feeds"]:
        raw = str(entry.get("url", ""))
        try:
            reject_credentials(raw)
            url = canonical_url(_web_url(raw))
        except ValueError as exc:  # InvalidURL included
            skipped.append(Skipped(shown_url(raw), _reason(exc, raw)))
            continue
        paths = paths_of.setdefault(url, {})  # the same feed twice: two folders or spellings
        found = entry.get("categories", ())
        paths.update(dict.fromkeys(tuple(str(p) for p in path) for path in found))
        if url not in merged:
            merged[url] = OpmlFeed(url, safe_name(str(entry.get("title") or ""), url), ())
    for entry in result["lists"]:
        shown = shown_url(str(entry.get("url", "")))
        skipped.append(Skipped(shown, "a link to another list, not fetched"))
    for entry in result["opportunities"]:
        shown = shown_url(str(entry.get("url", "")))
        skipped.append(Skipped(shown, "a web page without a feed URL"))
    feeds = (OpmlFeed(f.url, f.name, tuple(paths_of[f.url])) for f in merged.values())
    return OpmlList(tuple(feeds), tuple(skipped))


def _reason(exc: ValueError, raw: str) -> str:
    if not isinstance(exc, InvalidURL):
        return "credentials in the URL"
    if len(raw.strip()) > MAX_URL_CHARS:
        return f"longer than {MAX_URL_CHARS:,} characters"
    return "not an http(s) feed URL"


def _web_url(raw: str) -> str:
    """``raw`` with a reader app's scheme (feed:, itpc:, pcast:, podcast:) made http."""
    scheme = _APP_SCHEME.match(raw)
    if not scheme:
        return raw
    rest = raw[scheme.end() :]
    return rest if rest.lower().startswith(("http://", "https://")) else "http:" + rest


def shown_url(url: str) -> str:
    """A skipped outline's URL as the report may show it: without a user name or
    password (the report is printed and may be kept), and cut to MAX_SHOWN_URL."""
    if "@" in url:
        try:
            parts = urlsplit(url)
            url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
        except ValueError:
            return "(a URL with credentials)"
    return url if len(url) <= MAX_SHOWN_URL else url[:MAX_SHOWN_URL] + "…"


def safe_name(text: str, url: str) -> str | None:
    """A name readers may see, from an outline's text: control and bidi characters
    dropped (they could spoof it), cut to the longest name allowed; None when nothing
    is left or it only repeats the URL."""
    # White space of any kind (a no-break space, a tab) separates words: a space.
    spaced = "".join(" " if c.isspace() else c for c in text)
    # Every bidi control is unprintable (a Cf character), so isprintable() drops them too.
    name = "".join(c for c in spaced if c.isprintable())
    name = " ".join(name.split())[:MAX_NAME_CHARS]
    if not name or name == url:
        return None
    return name


def folder_index(categories: Sequence[Category]) -> dict[str, str]:
    """What folder titles name which category: its slug or its name, compared as
    ``_folder_key`` compares them (a slug wins over another category's name). Built once
    per import, however many feeds it holds."""
    by_key: dict[str, str] = {}
    for category in categories:
        by_key.setdefault(_folder_key(category.name), category.slug)
        by_key[_folder_key(category.slug)] = category.slug
    return by_key


def assign_categories(paths: Sequence[Sequence[str]], by_key: Mapping[str, str]) -> tuple[str, ...]:
    """The category slugs a feed goes to: for each of its paths, the innermost folder
    whose title matches a category's slug or name (any case, ``folder_index``), else an
    outer one's. Empty when no folder matches."""
    found: list[str] = []
    for path in paths:
        for folder in reversed(path):
            slug = by_key.get(_folder_key(folder))
            if slug:
                found.append(slug)
                break
    return tuple(dict.fromkeys(found))


def _folder_key(text: str) -> str:
    """What a folder title and a category name are compared by: any case, any runs of
    white space, and one Unicode form (a Mac's export writes "í" as "i" + an accent)."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def xml_attr(value: str) -> str:
    """``value`` as the inside of a double-quoted XML attribute: characters XML cannot
    carry dropped, markup and white space escaped (so a newline survives a round trip)."""
    return NOT_XML.sub("", value).translate(_ATTR_ESCAPES)


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
