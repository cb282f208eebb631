"""Import articles as a CMS exports them: JSON Lines, one JSON array, or one JSON object.

The file is read as a stream: JSON Lines line by line, so a file of any size needs memory
for one line at a time (a line over MAX_LINE_BYTES is rejected with its number, without
being read whole). A JSON array or a pretty-printed object has to be parsed whole, so it is
read only up to MAX_DOCUMENT_BYTES; a bigger one is refused with a hint to export JSON Lines.

Each record is decoded with ``digests.safejson`` and validated on its own; bad ones are
reported by line (or array position) and the good ones are still stored.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from digests.errors import InputError
from digests.ingest.cluster import title_key
from digests.ingest.fields import OPTIONAL, REQUIRED, check_field, record_language
from digests.ingest.fields import RecordError as RecordError
from digests.ingest.normalise import (
    InvalidURL,
    canonical_url,
    clean_title,
    html_to_text,
    summarise,
    word_count,
)
from digests.ingest.stories import store_and_group
from digests.language import article_language
from digests.models import IngestCounts, NewArticle
from digests.pictures import MAX_PICTURE_CHARS, picture_url
from digests.safejson import JSONInputError, find_problem, loads
from digests.store import Store, import_scope
from digests.suggest import unknown_categories
from digests.timeutil import parse_iso

# One article is a few kilobytes; a line far past that is not one article.
MAX_LINE_BYTES = 1 << 20
# A JSON array (or one pretty-printed object) is parsed whole, so its size is capped.
MAX_DOCUMENT_BYTES = 16 << 20
_SKIP_CHUNK = 1 << 16
MAX_REPORTED_ERRORS = 1000
IMPORT_BATCH = 500

# The largest import scope ("import:" and the case-folded source) in UTF-8 bytes.
MAX_SCOPE_BYTES = 600
_LINE_ONE = re.compile(r" \(line 1, (column \d+)\)$")


class ImportFileError(InputError):
    """The file as a whole cannot be imported (too big to parse whole); one line."""


@dataclass(frozen=True)
class ImportRecord:
    category: str
    article: NewArticle


@dataclass
class ImportReport:
    """What an import did. ``errors`` keeps the first MAX_REPORTED_ERRORS rejections (a
    file of a million bad lines must not fill memory); ``rejected`` counts them all."""

    counts: IngestCounts = field(default_factory=IngestCounts)
    errors: list[tuple[int | str, str]] = field(default_factory=list)
    stories_new: int = 0
    rejected: int = 0

    def reject(self, number: int | str, message: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append((number, message))


Progress = Callable[[int], object]


def read_records(text: str) -> list[tuple[int | str, Any]]:
    """``iter_records`` over a text already in memory (for callers holding a string)."""
    data = text.encode("utf-8", "surrogatepass")
    return list(iter_records(io.BufferedReader(io.BytesIO(data))))


def iter_records(
    stream: IO[bytes], *, progress: Progress | None = None
) -> Iterator[tuple[int | str, Any]]:
    """Yield ``(line or position, decoded JSON or RecordError)`` from a binary stream.

    A stream whose first character is ``[`` is one JSON array (numbered from 1 by
    position), unless its first line is a whole array with more lines after it; one whose
    first line is not a JSON value on its own is tried as one pretty-printed object;
    anything else is JSON Lines, numbered by line, blank lines ignored, the items of a line
    holding an array numbered ``"3, item 2"``. Raises ImportFileError for an array over
    MAX_DOCUMENT_BYTES. ``progress`` is called with the number of bytes consumed, as they are.
    """
    tick = progress or (lambda _n: None)
    reader = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)  # type: ignore[arg-type]
    head = reader.peek(64)[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        data = reader.read(MAX_DOCUMENT_BYTES + 1)
        tick(len(data))
        if b"\n" in data.rstrip() and _decode(data.split(b"\n", 1)[0]) is not _UNDECODABLE:
            # A whole array on the first line and more after it: JSON Lines.
            yield from _json_lines(_Lines(_Chain(data, reader, tick), lambda _n: None))
            return
        if len(data) > MAX_DOCUMENT_BYTES:
            raise ImportFileError(
                f"a JSON array over {MAX_DOCUMENT_BYTES >> 20} MB is not read whole; "
                "export JSON Lines (one article object per line) instead"
            )
        yield from _array_records(data)
        return
    lines = _Lines(reader, tick)
    first = lines.next_line()
    if first is None:
        return
    if head.startswith(b"{") and first[1] is not _TOO_LONG and _decode(first[1]) is _UNDECODABLE:
        # Not one object per line: maybe one pretty-printed object.
        rest = reader.read(MAX_DOCUMENT_BYTES + 1 - len(first[1]))
        tick(len(rest))
        whole = first[1] + rest
        single = _decode(whole) if len(whole) <= MAX_DOCUMENT_BYTES else _UNDECODABLE
        if single is not _UNDECODABLE:
            yield 1, single
            return
        # Not that either: report it line by line, as JSON Lines.
        lines = _Lines(_Chain(whole, reader, tick), lambda _n: None)
    else:
        lines.push_back(first)
    yield from _json_lines(lines)


def _json_lines(lines: _Lines) -> Iterator[tuple[int | str, Any]]:
    """One record per line; a line holding a JSON array gives each of its items, numbered
    ``3, item 2`` (so errors read "line 3, item 2"), rather than one rejection for all."""
    while (line := lines.next_line()) is not None:
        number, raw = line
        if raw is _TOO_LONG:
            yield (
                number,
                RecordError(
                    f"line longer than {MAX_LINE_BYTES >> 20} MB; expected one article per line"
                ),
            )
            continue
        if not raw.strip():
            continue
        try:
            # Unchecked, so that one bad item of an array does not reject its neighbours.
            value = loads(raw, check=False)
        except JSONInputError as exc:
            # safejson counts lines within the text it was given: here always line 1.
            yield number, RecordError(_LINE_ONE.sub(r" (\1)", str(exc)))
            continue
        items = enumerate(value, start=1) if isinstance(value, list) else [(0, value)]
        for position, item in items:
            problem = find_problem(item)
            yield (
                f"{number}, item {position}" if position else number,
                RecordError(problem) if problem else item,
            )


def _array_records(data: bytes) -> Iterator[tuple[int, Any]]:
    try:
        value = loads(data, check=False)
    except JSONInputError as exc:
        yield 1, RecordError(str(exc))
        return
    if not isinstance(value, list):  # pragma: no cover - a "[" document decodes to a list
        yield 1, RecordError("expected a JSON array")
        return
    for position, item in enumerate(value, start=1):
        problem = find_problem(item)
        yield position, RecordError(problem) if problem else item


_UNDECODABLE = object()
_TOO_LONG = b"\0too long\0"


def _decode(raw: bytes) -> Any:
    if not raw.strip():
        return _UNDECODABLE
    try:
        return loads(raw)
    except JSONInputError:
        return _UNDECODABLE


class _Chain:
    """``readline`` over bytes already read, then the rest of the stream."""

    def __init__(self, head: bytes, tail: IO[bytes], tick: Progress) -> None:
        self._head = io.BytesIO(head)
        self._tail = tail
        self._tick = tick

    def readline(self, limit: int) -> bytes:
        line = self._head.readline(limit)
        if line.endswith(b"\n") or len(line) >= limit:
            return line
        more = self._tail.readline(limit - len(line))
        self._tick(len(more))
        return line + more


class _Lines:
    """Numbered lines of at most MAX_LINE_BYTES; a longer one is skipped in chunks and
    returned as ``_TOO_LONG``, so it is never held in memory whole."""

    def __init__(self, source: Any, tick: Progress) -> None:
        self._source = source
        self._tick = tick
        self._number = 0
        self._pending: tuple[int, bytes] | None = None

    def push_back(self, line: tuple[int, bytes]) -> None:
        self._pending = line

    def next_line(self) -> tuple[int, bytes] | None:
        if self._pending is not None:
            line, self._pending = self._pending, None
            return line
        raw = self._source.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return None
        self._number += 1
        self._tick(len(raw))
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = self._source.readline(_SKIP_CHUNK)
                self._tick(len(raw))
            return self._number, _TOO_LONG
        return self._number, raw


def validate_record(record: Any, *, categories: Iterable[str], now: datetime) -> ImportRecord:
    """Check one record and normalise it into an article; raises RecordError.

    Shared by the import and the admin API: every message is one line and quotes the
    input shortened and escaped, so a hostile value cannot flood or forge an error line.
    """
    if not isinstance(record, Mapping):
        raise RecordError("expected a JSON object")
    problem = find_problem(record)
    if problem:
        raise RecordError(problem)
    missing = [f for f in REQUIRED if not record.get(f)]
    if missing:
        raise RecordError(f"missing field: {', '.join(missing)}")
    for name in (*REQUIRED, *OPTIONAL):
        check_field(name, record.get(name))
    # The articles of a source are keyed by (scope, url): on PostgreSQL that index row must
    # stay under 2,704 bytes, and a URL may take 2,048 of them (case-folding can triple a
    # name's UTF-8 size, so it is measured after).
    scope_size = len(import_scope(record["source"]).encode("utf-8", "surrogatepass"))
    if scope_size > MAX_SCOPE_BYTES:
        raise RecordError(
            f"source is too long ({scope_size} bytes in UTF-8 once case-folded; at most "
            f"{MAX_SCOPE_BYTES})"
        )
    category = record["category"].strip()
    unknown = unknown_categories([category], categories)
    if unknown:
        raise RecordError(unknown)
    try:
        url = canonical_url(record["url"])
    except InvalidURL as exc:
        raise RecordError(f"url: {exc}") from None
    image = None
    if record.get("image"):
        # The rule digests show pictures by: a picture stored past it would never be seen.
        image = picture_url(record["image"])
        if image is None:
            raise RecordError(
                f"image: not a public http(s) picture address of at most "
                f"{MAX_PICTURE_CHARS:,} characters"
            )
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
    summary = summarise(text)
    declared = record_language(record.get("language"))
    return ImportRecord(
        category=category,
        article=NewArticle(
            url=url,
            title=title,
            summary=summary,
            source=source,
            published_at=min(published, now),
            guid=(record.get("guid") or "").strip() or None,
            author=html_to_text(record.get("author")) or None,
            image_url=image,
            word_count=word_count(text),
            title_key=title_key(title),
            language=article_language([declared], f"{title}\n{summary}"),
        ),
    )


async def import_records(
    store: Store,
    records: Iterable[tuple[int | str, Any]],
    *,
    now: datetime,
    story_window: timedelta,
) -> ImportReport:
    """Validate and store records; bad ones are reported by number, good ones all kept."""
    report = ImportReport()
    known = [c.slug for c in await store.list_categories()]
    groups: dict[tuple[str, str], list[NewArticle]] = defaultdict(list)
    pending = 0

    async def flush() -> None:
        # Stored in batches, so that a file of any length holds at most IMPORT_BATCH
        # articles in memory.
        for (category, source), articles in groups.items():
            # Stored and grouped into stories in one transaction: never an article without one.
            stored = await store_and_group(
                store, import_scope(source), articles, [category], now=now, window=story_window
            )
            report.counts += stored.counts
            report.stories_new += stored.stories_new
        groups.clear()

    for number, record in records:
        if isinstance(record, RecordError):
            report.reject(number, str(record))
            continue
        try:
            valid = validate_record(record, categories=known, now=now)
        except RecordError as exc:
            report.reject(number, str(exc))
            continue
        groups[(valid.category, valid.article.source)].append(valid.article)
        pending += 1
        if pending >= IMPORT_BATCH:
            await flush()
            pending = 0
    await flush()
    return report
