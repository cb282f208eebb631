"""Pure normalisation of what feeds and CMSs send: URLs, text, summaries, read time, dates,
and a parsed feed entry made into an article (``entry_to_article``)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from typing import TYPE_CHECKING, ClassVar

from digests.ingest.cluster import title_key
from digests.language import article_language
from digests.models import NewArticle
from digests.pictures import picture_url
from digests.timeutil import ensure_utc

# Links are canonicalised in digests.urls (the store uses it too); re-exported for ingest.
from digests.urls import InvalidURL as InvalidURL
from digests.urls import canonical_url as canonical_url

if TYPE_CHECKING:  # a type only: the renderer imports this module, and parsing loads feedparser
    from digests.ingest.parse import RawEntry

SUMMARY_TARGET = 300
TITLE_MAX = 300
WORDS_PER_MINUTE = 230
# The longest guid kept, as for the API and imports (a key, not prose), in characters and
# in UTF-8 bytes: the (scope, guid) index row must stay under PostgreSQL's 2,704 bytes a
# B-tree row (1,024 CJK characters are 3,072 bytes; SQLite would store them, PostgreSQL
# would refuse the feed's whole batch).
MAX_GUID_CHARS = 1024


def guid_too_long(guid: str) -> bool:
    """Whether ``guid`` is longer than a guid is kept (MAX_GUID_CHARS characters or UTF-8
    bytes)."""
    return len(guid) > MAX_GUID_CHARS or (
        not guid.isascii() and len(guid.encode("utf-8", "surrogatepass")) > MAX_GUID_CHARS
    )


# A date this far ahead is a feed's mistake, not news from a clock a little fast.
FUTURE_SLACK = timedelta(days=1)


class _TextExtractor(HTMLParser):
    _SKIP: ClassVar[frozenset[str]] = frozenset(
        {"script", "style", "template", "noscript", "iframe", "object", "svg", "head"}
    )
    _BLOCK: ClassVar[frozenset[str]] = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "ul",
            "ol",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "tr",
            "td",
            "th",
            "blockquote",
            "section",
            "article",
            "figure",
            "figcaption",
            "hr",
            "pre",
            "table",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


_SPACE = re.compile(r"\s+")
# Control characters, and the invisible format characters (Unicode category Cf) that can
# reorder or hide text: bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069),
# zero-width spaces, soft hyphens, tag characters. A title stripped of them cannot pass
# for a file name or a different link. ZWNJ and ZWJ (U+200C, U+200D) stay: Persian and
# Indic words and emoji sequences need them, and they cannot reorder text.
CONTROL_CHARS = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\xad\u0600-\u0605\u061c\u06dd"
    "\u070f\u0890\u0891\u08e2\u180e\u200b\u200e\u200f\u202a-\u202e\u2028\u2029"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
)
_CONTROL = re.compile(f"[{CONTROL_CHARS}]")


def html_to_text(fragment: str | None) -> str:
    """Plain text of an HTML fragment: tags and scripts dropped, entities decoded,
    control characters removed, white space folded."""
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:
        text = fragment
    else:
        extractor = _TextExtractor()
        extractor.feed(fragment)
        extractor.close()
        # Feeds sometimes escape twice ("&amp;amp;"); one more pass decodes what is left.
        text = unescape("".join(extractor.parts))
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()


_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’)\]]*(?=\s|$)")


def summarise(text: str, target: int = SUMMARY_TARGET) -> str:
    """Cut plain text at a sentence boundary near ``target`` characters.

    Keeps whole sentences when one ends between half the target and 1.2× it; otherwise
    cuts at a word boundary and adds an ellipsis.
    """
    if len(text) <= target:
        return text
    upper = int(target * 1.2)
    best = None
    for match in _SENTENCE_END.finditer(text, 0, upper + 1):
        end = match.end()
        if end > upper:
            break
        if end >= target // 2:
            best = end
    if best is not None:
        return text[:best].strip()
    cut = text[: target - 1]
    space = cut.rfind(" ")
    if space > target // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def clean_title(raw: str | None) -> str:
    """A title as plain text on one line, capped at a sane length."""
    text = html_to_text(raw)
    if len(text) > TITLE_MAX:
        text = text[: TITLE_MAX - 1].rstrip() + "…"
    return text


def word_count(text: str) -> int:
    return len(text.split())


def read_minutes(words: int) -> int:
    """Minutes to read ``words`` words; at least one."""
    return max(1, round(words / WORDS_PER_MINUTE))


def resolve_published(
    published: datetime | None,
    *,
    now: datetime,
    first_import: bool,
    feed_updated: datetime | None = None,
) -> tuple[datetime, bool]:
    """Decide an item's publication instant and whether it is known.

    A dated item keeps its date, clamped to ``now`` when it is a little ahead (a clock
    off by some hours). A date more than FUTURE_SLACK ahead is no known date (``2099``
    would rank at the top for ever): the item is treated as undated. An undated item seen
    on a later poll appeared since the last one, so ``now`` is a fair date. An undated item
    on a feed's first import may be years old: it gets the feed's own date (or ``now``)
    but is marked unknown, so it never shows up as fresh news.
    """
    if published is not None and ensure_utc(published) > now + FUTURE_SLACK:
        published = None
    if published is not None:
        return min(ensure_utc(published), now), True
    if first_import:
        return min(ensure_utc(feed_updated), now) if feed_updated else now, False
    return now, True


def entry_to_article(
    entry: RawEntry,
    *,
    source: str,
    now: datetime,
    first_import: bool,
    feed_updated: datetime | None = None,
    feed_language: str | None = None,
) -> NewArticle | None:
    """Normalise one feed entry; None when it has nothing to link to or no title at all.

    Its language is the entry's declared one, else ``feed_language`` (the feed's declared
    tag, as given), else a guess from its title and summary (``digests.language``).
    """
    link = entry.link or (entry.guid if entry.guid and entry.guid.startswith("http") else None)
    # A guid is a key: one longer than the API and imports accept is left out (and counted)
    # like a link canonical_url refuses, such as one over MAX_URL_CHARS.
    if not link or guid_too_long(entry.guid or ""):
        return None
    try:
        url = canonical_url(link)
    except InvalidURL:
        return None
    summary_text = html_to_text(entry.summary_html) or html_to_text(entry.content_html)
    title = clean_title(entry.title) or summarise(summary_text, 80)
    if not title:
        return None
    body = html_to_text(entry.content_html) if entry.content_html else summary_text
    published, known = resolve_published(
        entry.published, now=now, first_import=first_import, feed_updated=feed_updated
    )
    # Checked again here (parse already did): whatever builds a RawEntry, no picture but an
    # http(s) address of at most 2,048 characters is stored.
    image = picture_url(entry.image)
    summary = summarise(summary_text)
    return NewArticle(
        url=url,
        title=title,
        summary=summary,
        source=source,
        published_at=published,
        guid=(entry.guid or None),
        author=html_to_text(entry.author) or None,
        image_url=image,
        word_count=word_count(body),
        date_known=known,
        title_key=title_key(title),
        language=article_language((entry.language, feed_language), f"{title}\n{summary}"),
    )
