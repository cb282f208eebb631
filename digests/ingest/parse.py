"""Parse feed documents (RSS 0.9x/1.0/2.0, Atom, JSON Feed) into raw entries.

XML goes through feedparser, which sniffs encodings and survives most broken feeds;
JSON Feed (which feedparser 6 does not read) is mapped here by hand.

Error contract: a document we cannot read at all raises FeedParseError (the feed fails);
one unusable item is left out and its reason listed in ``ParsedFeed.skipped`` (the feed's
other items still count). Nothing else is raised for anything a server sends.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from digests.errors import DigestbotError
from digests.ingest.dates import json_date, xml_date
from digests.ingest.offered import (
    JSON_PICTURE_FIELDS,
    JSON_TOKEN,
    first_picture,
    without_pictures,
    xml_pictures,
)
from digests.safejson import JSONInputError, find_problem, loads


class FeedParseError(DigestbotError):
    """The document is not a feed we can read; the message says why."""


@dataclass(frozen=True)
class RawEntry:
    guid: str | None
    link: str | None
    title: str
    summary_html: str
    content_html: str
    author: str | None
    published: datetime | None
    image: str | None
    # Pictures the item offered that are none (a video, ``javascript:``, too long): 0 or 1.
    pictures_dropped: int = 0
    # The language the item declares, as given (xml:lang, dc:language, JSON Feed's
    # ``language``); ingest normalises it (``digests.language``).
    language: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    updated: datetime | None
    entries: tuple[RawEntry, ...]
    skipped: tuple[str, ...] = ()
    """Why each item left out could not be used ("item 3: url is not text")."""
    language: str | None = None
    """The language the feed declares, as given (RSS ``<language>``, Atom ``xml:lang``)."""


def parse_feed(content: bytes, *, content_type: str | None = None, url: str = "") -> ParsedFeed:
    """Parse a feed body; raises FeedParseError when it is neither a feed nor JSON Feed.

    ``url`` is where the document came from: relative links are resolved against it.
    """
    head = content.lstrip()[:1]
    if (content_type and "json" in content_type.lower()) or head in (b"{", b"["):
        return _parse_json_feed(content, url)
    headers = {"content-type": content_type} if content_type else {}
    try:
        parsed = feedparser.parse(
            _defuse_char_refs(content), response_headers=headers, resolve_relative_uris=True
        )
    except Exception as exc:  # feedparser's own bugs on hostile input: the document fails
        raise FeedParseError(f"not a feed: unreadable ({type(exc).__name__})") from None
    version = parsed.get("version") or ""
    entries = parsed.get("entries") or []
    if not version and not entries:
        reason = parsed.get("bozo_exception")
        raise FeedParseError(f"not a feed{f': {reason}' if reason else ''}")
    feed = parsed.get("feed", {})
    kept: list[RawEntry] = []
    skipped: list[str] = []
    for number, entry in enumerate(entries, 1):
        try:
            kept.append(_xml_entry(entry, url))
        except Exception as exc:  # one odd entry must not cost the feed its other items
            skipped.append(f"item {number}: unreadable ({type(exc).__name__})")
    return ParsedFeed(
        title=_text(feed.get("title")) or None,
        updated=xml_date(feed.get("updated"), feed.get("updated_parsed"))
        or xml_date(feed.get("published"), feed.get("published_parsed")),
        entries=tuple(kept),
        skipped=tuple(skipped),
        language=_text(feed.get("language")),
    )


_CHAR_REF = re.compile(rb"&#([xX][0-9a-fA-F]+|[0-9]+);")


def _defuse_char_refs(content: bytes) -> bytes:
    """Character references to no character (``&#xD800;``, ``&#x110000;``, 20 digits)
    become U+FFFD: feedparser raises on them instead of reporting a broken feed."""

    def replace(match: re.Match[bytes]) -> bytes:
        digits = match.group(1)
        if len(digits) > 9:
            return b"&#xFFFD;"
        code = int(digits[1:], 16) if digits[:1] in (b"x", b"X") else int(digits)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return b"&#xFFFD;"
        return match.group(0)

    return _CHAR_REF.sub(replace, content)


def _entry_date(item: Any) -> datetime | None:
    """An entry's (or the feed's) publication date, else its update date, when trusted."""
    for key in ("published", "updated"):
        if item.get(f"{key}_parsed"):
            return xml_date(item.get(key), item.get(f"{key}_parsed"))
    return None


def _xml_entry(entry: Any, base: str) -> RawEntry:
    content = ""
    for part in entry.get("content") or []:
        if part.get("value"):
            content = part["value"]
            break
    image, dropped = first_picture(xml_pictures(entry), base)
    link = entry.get("link")
    if not link:
        for candidate in entry.get("links") or []:
            if candidate.get("href") and candidate.get("rel", "alternate") == "alternate":
                link = candidate["href"]
                break
    return RawEntry(
        guid=entry.get("id") or None,
        # Only a real link is resolved against the feed's address; a guid that feedparser
        # copied into the link ("opaque-d") is an identity, not a relative path.
        link=(link or None) if entry.get("guidislink") else _resolve(link, base),
        title=entry.get("title") or "",
        summary_html=entry.get("summary") or "",
        content_html=content,
        author=_author_name(entry.get("author")),
        published=_entry_date(entry),
        image=image,
        pictures_dropped=dropped,
        language=_xml_language(entry),
    )


def _xml_language(entry: Any) -> str | None:
    """The language an entry declares: its title's or summary's xml:lang (which feedparser
    inherits from the feed's when the entry has none), else its ``dc:language``."""
    for detail in ("title_detail", "summary_detail"):
        language = _text((entry.get(detail) or {}).get("language"))
        if language:
            return language
    return _text(entry.get("language")) or None


_EMAIL_WITH_NAME = re.compile(r"^\s*\S+@\S+\s+\((?P<name>[^)]+)\)\s*$")


def _author_name(raw: str | None) -> str | None:
    """RSS writes ``email (Name)``; readers want the name. (feedparser's own split
    mangles some addresses, so it is done here.)"""
    if not raw:
        return None
    match = _EMAIL_WITH_NAME.match(raw)
    return match.group("name").strip() if match else raw.strip() or None


class _BadItem(DigestbotError):
    """One JSON Feed item cannot be used; the message says why."""


def _parse_json_feed(content: bytes, url: str) -> ParsedFeed:
    doc, raw_items = _load_json_feed(content)
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise FeedParseError("not a JSON Feed (no jsonfeed.org version)")
    items = raw_items if raw_items is not None else doc.get("items")
    if not isinstance(items, list):
        raise FeedParseError("JSON Feed has no items list")
    # Item URLs may be relative (JSON Feed 1.1): to the site, else to the feed's address.
    home = _text(doc.get("home_page_url"))
    base = home if home and _is_web_url(home) else url
    entries: list[RawEntry] = []
    skipped: list[str] = []
    for number, item in enumerate(items, 1):
        try:
            if isinstance(item, _Undecodable):
                raise _BadItem(str(item.error))
            entries.append(_json_entry(item, base))
        except _BadItem as exc:
            skipped.append(f"item {number}: {exc}")
    return ParsedFeed(
        title=_text(doc.get("title")),
        updated=None,
        entries=tuple(entries),
        skipped=tuple(skipped),
        language=_text(doc.get("language")),
    )


@dataclass(frozen=True)
class _Undecodable:
    """An item whose own text could not be decoded (the rest of the document could)."""

    error: JSONInputError


def _load_json_feed(content: bytes) -> tuple[Any, list[Any] | None]:
    """The document, and its items when they had to be decoded one by one (else None).

    Decoding the whole document at once fails on one bad item (100,000-deep nesting, a
    5,000-digit number, a syntax error inside it). Then the top-level ``items`` array is
    cut into its elements and each is decoded alone, so that only that item is lost; a
    problem outside the items still fails the document.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FeedParseError(f"malformed JSON Feed: not UTF-8 (byte {exc.start})") from None
    try:
        return loads(text, check=False), None
    except JSONInputError as exc:
        whole_error = exc
    cut = _cut_items(text)
    if cut is None:
        raise FeedParseError(f"malformed JSON Feed: {whole_error}") from None
    rest, pieces = cut
    try:
        doc = loads(rest, check=False)
    except JSONInputError as exc:
        raise FeedParseError(f"malformed JSON Feed: {exc}") from None
    items: list[Any] = []
    for piece in pieces:
        try:
            items.append(loads(piece, check=False))
        except JSONInputError as exc:
            items.append(_Undecodable(exc))
            salvaged = without_pictures(piece)  # the picture alone may be at fault
            if salvaged is not None:
                with contextlib.suppress(JSONInputError):
                    items[-1] = loads(salvaged, check=False)
    return doc, items


def _cut_items(text: str) -> tuple[str, list[str]] | None:
    """Split a JSON object's top-level ``items`` array out of ``text``: the document with
    ``"items": []`` in its place, and the text of each element. None when the text is not
    shaped like that (brackets do not balance, no such array)."""
    depth = 0
    previous = ""
    key = ""
    start = -1  # where the items array opens, while inside it
    bounds: list[int] = []  # start and end of each element's text, in pairs
    found: tuple[int, int, list[int]] | None = None
    for match in JSON_TOKEN.finditer(text):
        token = match.group()
        if token in ("{", "["):
            depth += 1
            if token == "[" and depth == 2 and key == '"items"':
                start, bounds = match.start(), [match.end()]
        elif token in ("}", "]"):
            if depth == 2 and start >= 0 and token == "]":
                bounds.append(match.start())
                found = (start, match.end(), bounds)
                start = -1
            depth -= 1
            if depth < 0:
                return None
        elif token == ",":
            if depth == 2 and start >= 0:
                bounds.append(match.start())
                bounds.append(match.end())
        elif token == ":" and depth == 1:
            key = previous
        previous = token
    if depth != 0 or found is None:
        return None
    begin, after, marks = found
    pieces = [text[a:b] for a, b in zip(marks[::2], marks[1::2], strict=True)]
    if len(pieces) == 1 and not pieces[0].strip():
        pieces = []
    return text[:begin] + "[]" + text[after:], pieces


_TEXT_FIELDS = (
    "url",
    "external_url",
    "title",
    "content_html",
    "content_text",
    "summary",
    "date_published",
    "date_modified",
)


def _json_entry(item: Any, base: str) -> RawEntry:
    """One JSON Feed item as a RawEntry; raises _BadItem saying why it cannot be used.

    JSON Feed's title, summary, content_text and author names are plain text: they are
    escaped here, so that the HTML-to-text step downstream gives them back unchanged.
    """
    if not isinstance(item, dict):
        raise _BadItem("not an object")
    # A bad picture costs the item its picture only (counted), not the item.
    offered = [item[name] for name in JSON_PICTURE_FIELDS if item.get(name) not in (None, "")]
    problem = find_problem({k: v for k, v in item.items() if k not in JSON_PICTURE_FIELDS})
    if problem:
        raise _BadItem(problem)
    for name in _TEXT_FIELDS:
        if item.get(name) is not None and not isinstance(item[name], str):
            raise _BadItem(f"{name} is not text")
    raw_id = item.get("id")
    if raw_id is not None and (
        isinstance(raw_id, bool) or not isinstance(raw_id, str | int | float)
    ):
        raise _BadItem("id is not text")
    authors = item.get("authors")
    if authors is None:
        authors = [item["author"]] if item.get("author") is not None else []
    if not isinstance(authors, list) or not all(
        isinstance(a, dict) and isinstance(a.get("name"), str | None) for a in authors
    ):
        raise _BadItem("author is not an object with a text name")
    author = next((a["name"] for a in authors if a.get("name")), None)
    content_text = item.get("content_text")
    image, dropped = first_picture(offered, base)
    return RawEntry(
        guid=str(raw_id) if raw_id is not None and str(raw_id) else None,
        link=_resolve(item.get("url") or item.get("external_url"), base),
        title=escape(item.get("title") or "", quote=False),
        summary_html=escape(item.get("summary") or "", quote=False),
        content_html=item.get("content_html")
        or (escape(content_text, quote=False) if content_text else ""),
        author=escape(author, quote=False) if author else None,
        published=json_date(item.get("date_published") or item.get("date_modified")),
        image=image,
        pictures_dropped=dropped,
        language=_text(item.get("language")),
    )


def _text(value: Any) -> str | None:
    """A string field as text, or None when it is missing, not text or not valid Unicode."""
    if not isinstance(value, str) or find_problem(value):
        return None
    return value


def _is_web_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _resolve(link: str | None, base: str) -> str | None:
    """``link`` made absolute against ``base``; as it was when it cannot be joined."""
    if not link:
        return None
    if not base:
        return link
    try:
        return urljoin(base, link.strip())
    except ValueError:
        return link
