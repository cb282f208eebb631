"""Import articles as a CMS exports them: a JSON array, one JSON object, or JSON Lines.

Each record is validated on its own; bad ones are reported by line (or array position)
and the good ones are still stored.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from digests.ingest.cluster import title_key
from digests.ingest.normalise import (
    InvalidURL,
    canonical_url,
    clean_title,
    html_to_text,
    summarise,
    word_count,
)
from digests.models import IngestCounts, NewArticle
from digests.store import Store, import_scope
from digests.timeutil import parse_iso

REQUIRED = ("url", "title", "category", "source", "published_at")
OPTIONAL = ("summary", "author", "image", "guid")


class RecordError(ValueError):
    """One record is not a valid article; the message says which field and why."""


@dataclass(frozen=True)
class ImportRecord:
    category: str
    article: NewArticle


@dataclass
class ImportReport:
    counts: IngestCounts = field(default_factory=IngestCounts)
    errors: list[tuple[int, str]] = field(default_factory=list)
    stories_new: int = 0


def read_records(text: str) -> list[tuple[int, Any]]:
    """Split an import file into ``(line or position, decoded JSON or RecordError)`` pairs.

    A file that starts with ``[`` is one JSON array (numbered from 1 by position); anything
    else is read as JSON Lines, numbered by line, blank lines ignored.
    """
    stripped = text.lstrip("\ufeff").strip()
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            return [(exc.lineno, RecordError(f"malformed JSON: {exc.msg}"))]
        return [(i, item) for i, item in enumerate(data, start=1)]
    records: list[tuple[int, Any]] = []
    if stripped.startswith("{") and "\n" in stripped:
        # One pretty-printed object is not JSON Lines; try it whole first.
        try:
            return [(1, json.loads(stripped))]
        except json.JSONDecodeError:
            pass
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            records.append((number, RecordError(f"malformed JSON: {exc.msg}")))
    return records


def validate_record(record: Any, *, categories: Iterable[str], now: datetime) -> ImportRecord:
    """Check one record and normalise it into an article; raises RecordError."""
    if not isinstance(record, Mapping):
        raise RecordError("expected a JSON object")
    missing = [f for f in REQUIRED if not record.get(f)]
    if missing:
        raise RecordError(f"missing field: {', '.join(missing)}")
    for name in (*REQUIRED, *OPTIONAL):
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise RecordError(f"{name} must be a string, got {type(value).__name__}")
    category = record["category"].strip()
    if category not in set(categories):
        raise RecordError(f"unknown category: {category!r}")
    try:
        url = canonical_url(record["url"])
    except InvalidURL as exc:
        raise RecordError(f"url: {exc}") from None
    image = None
    if record.get("image"):
        try:
            image = canonical_url(record["image"])
        except InvalidURL as exc:
            raise RecordError(f"image: {exc}") from None
    try:
        published = parse_iso(record["published_at"])
    except ValueError as exc:
        raise RecordError(f"published_at: {exc}") from None
    title = clean_title(record["title"])
    source = html_to_text(record["source"])
    if not title:
        raise RecordError("title is empty once markup is removed")
    if not source:
        raise RecordError("source is empty once markup is removed")
    text = html_to_text(record.get("summary"))
    return ImportRecord(
        category=category,
        article=NewArticle(
            url=url,
            title=title,
            summary=summarise(text),
            source=source,
            published_at=min(published, now),
            guid=(record.get("guid") or "").strip() or None,
            author=html_to_text(record.get("author")) or None,
            image_url=image,
            word_count=word_count(text),
            title_key=title_key(title),
        ),
    )


async def import_records(
    store: Store,
    records: Iterable[tuple[int, Any]],
    *,
    now: datetime,
    story_window: timedelta,
) -> ImportReport:
    """Validate and store records; bad ones are reported by number, good ones all kept."""
    from digests.ingest.stories import store_and_group

    report = ImportReport()
    known = [c.slug for c in await store.list_categories()]
    groups: dict[tuple[str, str], list[NewArticle]] = defaultdict(list)
    for number, record in records:
        if isinstance(record, RecordError):
            report.errors.append((number, str(record)))
            continue
        try:
            valid = validate_record(record, categories=known, now=now)
        except RecordError as exc:
            report.errors.append((number, str(exc)))
            continue
        groups[(valid.category, valid.article.source)].append(valid.article)
    for (category, source), articles in groups.items():
        # Stored and grouped into stories in one transaction: never an article without one.
        stored = await store_and_group(
            store, import_scope(source), articles, [category], now=now, window=story_window
        )
        report.counts += stored.counts
        report.stories_new += stored.stories_new
    return report
