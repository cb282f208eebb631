"""Parse feed documents (RSS 0.9x/1.0/2.0, Atom, JSON Feed) into raw entries.

XML goes through feedparser, which sniffs encodings and survives most broken feeds;
JSON Feed (which feedparser 6 does not read) is mapped here by hand.
"""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from digests.timeutil import parse_iso


class FeedParseError(ValueError):
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


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    updated: datetime | None
    entries: tuple[RawEntry, ...]


def parse_feed(content: bytes, *, content_type: str | None = None, url: str = "") -> ParsedFeed:
    """Parse a feed body; raises FeedParseError when it is neither a feed nor JSON Feed."""
    head = content.lstrip()[:1]
    if (content_type and "json" in content_type.lower()) or head in (b"{", b"["):
        return _parse_json_feed(content)
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(content, response_headers=headers, resolve_relative_uris=True)
    version = parsed.get("version") or ""
    entries = parsed.get("entries") or []
    if not version and not entries:
        reason = parsed.get("bozo_exception")
        raise FeedParseError(f"not a feed{f': {reason}' if reason else ''}")
    feed = parsed.get("feed", {})
    return ParsedFeed(
        title=(feed.get("title") or None),
        updated=_struct_to_dt(feed.get("updated_parsed") or feed.get("published_parsed")),
        entries=tuple(_xml_entry(e) for e in entries),
    )


def _struct_to_dt(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _xml_entry(entry: Any) -> RawEntry:
    content = ""
    for part in entry.get("content") or []:
        if part.get("value"):
            content = part["value"]
            break
    image = None
    for media in (entry.get("media_content") or []) + (entry.get("media_thumbnail") or []):
        if media.get("url"):
            image = media["url"]
            break
    if image is None:
        for enclosure in entry.get("enclosures") or []:
            if str(enclosure.get("type", "")).startswith("image/") and enclosure.get("href"):
                image = enclosure["href"]
                break
    link = entry.get("link")
    if not link:
        for candidate in entry.get("links") or []:
            if candidate.get("href") and candidate.get("rel", "alternate") == "alternate":
                link = candidate["href"]
                break
    return RawEntry(
        guid=entry.get("id") or None,
        link=link or None,
        title=entry.get("title") or "",
        summary_html=entry.get("summary") or "",
        content_html=content,
        author=_author_name(entry.get("author")),
        published=_struct_to_dt(entry.get("published_parsed") or entry.get("updated_parsed")),
        image=image,
    )


_EMAIL_WITH_NAME = re.compile(r"^\s*\S+@\S+\s+\((?P<name>[^)]+)\)\s*$")


def _author_name(raw: str | None) -> str | None:
    """RSS writes ``email (Name)``; readers want the name. (feedparser's own split
    mangles some addresses, so it is done here.)"""
    if not raw:
        return None
    match = _EMAIL_WITH_NAME.match(raw)
    return match.group("name").strip() if match else raw.strip() or None


def _parse_json_feed(content: bytes) -> ParsedFeed:
    try:
        doc = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedParseError(f"malformed JSON Feed: {exc}") from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise FeedParseError("not a JSON Feed (no jsonfeed.org version)")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedParseError("JSON Feed has no items list")
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        author = next(
            (a.get("name") for a in authors if isinstance(a, dict) and a.get("name")), None
        )
        entries.append(
            RawEntry(
                guid=str(item["id"]) if item.get("id") is not None else None,
                link=item.get("url") or item.get("external_url"),
                title=str(item.get("title") or ""),
                summary_html=str(item.get("summary") or ""),
                content_html=str(item.get("content_html") or item.get("content_text") or ""),
                author=author,
                published=_json_date(item.get("date_published") or item.get("date_modified")),
                image=item.get("image") or item.get("banner_image"),
            )
        )
    return ParsedFeed(title=doc.get("title"), updated=None, entries=tuple(entries))


def _json_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_iso(value)
    except ValueError:
        return None
