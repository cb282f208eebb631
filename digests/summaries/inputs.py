"""What the model is given for one story and language: the titles and summaries of the
story's articles, capped, and a hash that identifies it (the cache key). Pure.

Article text is untrusted. Each field is cleaned (control, bidi and other format
characters removed, lone surrogates dropped, whitespace collapsed, NFC), sentences that read
like instructions to a model are dropped (``markers``; kept in ``dropped`` so that ``check``
can refuse an answer that obeys one), and everything is capped: a title at MAX_TITLE, a
summary at MAX_SUMMARY and the whole text at MAX_INPUT_CHARS, so a long article costs no
more than a short one and cannot break the request.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from digests.assemble import Story
from digests.language import declared_language, detect_language
from digests.models import Article
from digests.summaries.markers import drop_instructions

# Part of every input hash: bump it when the prompt or the cleaning changes, so cached
# summaries made the old way are made again.
PROMPT_VERSION = "1"
MAX_ARTICLES = 8
MAX_SOURCE = 80
MAX_TITLE = 300
MAX_SUMMARY = 700
MAX_INPUT_CHARS = 4000
# Raw text beyond this many times a field's cap is never looked at (cleaning is linear,
# but a 10 MB summary should cost nothing).
RAW_FACTOR = 4
UNKNOWN_LANGUAGE = "und"
# Unicode categories removed: controls, format characters (bidi overrides, zero-width
# characters, BOM, tags) and surrogates; whitespace among them is collapsed instead.
REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
# Those characters as one class (a substitution is ten times faster than testing each
# character's category); a test checks it against unicodedata for every code point of
# planes 0, 1 and 14, the only ones that hold such characters.
_REMOVED = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f"
    "\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ud800-\udfff\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]+"
)


Triples = tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class SummaryInput:
    """One story's input for readers of ``language``. ``articles`` are (source, title,
    summary) triples, cleaned and capped; ``source_language`` is the story's own (its
    lead's) language, or "und" when unknown. ``dropped`` holds the sentences of the
    articles left out because they read like instructions to a model."""

    story_id: int
    language: str
    source_language: str
    articles: Triples
    article_ids: tuple[int, ...]
    input_hash: str
    dropped: tuple[str, ...] = ()

    @property
    def translate(self) -> bool:
        """True when the story is known to be in another language than the reader's. A
        story of unknown language ("und": a short headline the detector cannot tell) is
        not: its summary is written in the reader's language anyway, but its title stays
        the source's and it is not marked "translated" (most are in the reader's own)."""
        return self.source_language not in (self.language, UNKNOWN_LANGUAGE)

    @property
    def chars(self) -> int:
        """The size of the text sent, in characters."""
        return sum(len(s) + len(t) + len(u) for s, t, u in self.articles)


def clean(text: str, limit: int) -> str:
    """``text`` with control, format and surrogate characters removed, whitespace
    collapsed and NFC applied; only the first ``RAW_FACTOR * limit`` characters are read."""
    kept = _REMOVED.sub("", text[: RAW_FACTOR * limit])
    return unicodedata.normalize("NFC", " ".join(kept.split()))


def cap(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word end with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ""
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def ordered_articles(story: Story) -> list[Article]:
    """The story's articles to send: lead first, then one per other source, then the rest,
    at most MAX_ARTICLES."""
    unique: dict[int, Article] = {story.lead.id: story.lead}
    for article in story.articles:
        unique.setdefault(article.id, article)
    seen_sources: set[str] = set()
    first: list[Article] = []
    rest: list[Article] = []
    for article in unique.values():
        (rest if article.source in seen_sources else first).append(article)
        seen_sources.add(article.source)
    return (first + rest)[:MAX_ARTICLES]


def _shares(lengths: list[int], budget: int) -> list[int]:
    """How many characters each of ``lengths`` may keep so that together they fit in
    ``budget``, shared fairly: short ones keep all, long ones split what is left."""
    shares = [0] * len(lengths)
    remaining = max(budget, 0)
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    for position, index in enumerate(order):
        share = min(lengths[index], remaining // (len(order) - position))
        shares[index] = share
        remaining -= share
    return shares


# A planning pass makes the input of every recent story for each language every minute;
# the cleaning is the same for every language and for a story that did not change, so
# the last results are kept (keyed by the raw text: a changed article is cleaned again).
CACHE_SIZE = 4096


@lru_cache(maxsize=CACHE_SIZE)
def prepare(raw: tuple[tuple[str, str, str], ...]) -> tuple[Triples, tuple[str, ...]]:
    """Cleaned and capped (source, title, summary) triples from raw ones, and the
    sentences dropped as instructions."""
    dropped: list[str] = []
    heads: list[tuple[str, str]] = []
    bodies: list[str] = []
    for source, raw_title, raw_summary in raw:
        title, lost_title = drop_instructions(clean(raw_title, MAX_TITLE))
        body, lost_body = drop_instructions(clean(raw_summary, MAX_SUMMARY))
        dropped += lost_title + lost_body
        heads.append((cap(clean(source, MAX_SOURCE), MAX_SOURCE), cap(title, MAX_TITLE)))
        bodies.append(cap(body, MAX_SUMMARY))
    budget = MAX_INPUT_CHARS - sum(len(s) + len(t) for s, t in heads)
    shares = _shares([len(b) for b in bodies], budget)
    triples = tuple((s, t, cap(b, n)) for (s, t), b, n in zip(heads, bodies, shares, strict=True))
    return triples, tuple(dropped)


@lru_cache(maxsize=CACHE_SIZE)
def _detected(title: str, summary: str) -> str:
    text = f"{clean(title, MAX_TITLE)} {clean(summary, MAX_SUMMARY)}"
    return detect_language(text) or UNKNOWN_LANGUAGE


def source_language(story: Story) -> str:
    """The story's language: its lead's, else detected from the lead's text, else "und"."""
    return declared_language(story.language) or _detected(story.lead.title, story.lead.summary)


def input_hash(language: str, source: str, articles: Triples) -> str:
    """The sha256 of a canonical JSON of what decides the answer (the cache key)."""
    document = [PROMPT_VERSION, language, source, [list(triple) for triple in articles]]
    canonical = json.dumps(document, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def story_input(story: Story, language: str) -> SummaryInput:
    """The capped input for ``story`` and readers of ``language``."""
    raw = tuple((a.source, a.title, a.summary) for a in ordered_articles(story))
    articles, dropped = prepare(raw)
    own = source_language(story)
    ids = sorted({story.lead.id, *(article.id for article in story.articles)})
    return SummaryInput(
        story_id=story.story_id,
        language=language,
        source_language=own,
        articles=articles,
        article_ids=tuple(ids),
        input_hash=input_hash(language, own, articles),
        dropped=dropped,
    )
