"""Group articles that report the same event into stories.

Titles are reduced to keys of significant, lightly stemmed tokens; an inverted index over
those tokens finds the few stories worth comparing (so the cost grows with the number of
new articles, not with their square), and rapidfuzz's ``token_set_ratio`` decides.
Everything here is pure: the store calls ``cluster_articles`` inside the transaction that
stores the articles (see ``digests.ingest.stories``), with the recent stories that share a
title-key token with them. So the rule must never join an article to a story sharing no
token with it (``MIN_SHARED`` guarantees that).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from digests.models import StoredArticleRef, StoryMember

# Small words that say nothing about which event a headline is about.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "from",
        "by",
        "with",
        "without",
        "into",
        "onto",
        "over",
        "under",
        "after",
        "before",
        "about",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "it's",
        "this",
        "that",
        "these",
        "those",
        "his",
        "her",
        "their",
        "our",
        "your",
        "my",
        "we",
        "you",
        "they",
        "he",
        "she",
        "them",
        "us",
        "not",
        "no",
        "new",
        "says",
        "say",
        "said",
        "how",
        "why",
        "what",
        "when",
        "where",
        "who",
        "which",
        "will",
        "would",
        "can",
        "could",
        "may",
        "might",
        "should",
        "than",
        "then",
        "just",
        "more",
        "most",
        "up",
        "down",
        "out",
        "off",
        "amid",
        "via",
        "vs",
        "after",
        "report",
        "reports",
        "update",
        "updates",
        "live",
        "latest",
    ]
)

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_SUFFIXES = ("ingly", "edly", "ings", "ing", "ied", "ies", "ed", "es", "ly", "s")
STEM_LENGTH = 6
MIN_SHARED = 3
MIN_OVERLAP = 0.5
MIN_RATIO = 70.0
# A token found in more recent stories than this is too common to find candidates with.
COMMON_TOKEN_POSTINGS = 200
# A big story is compared through its first few articles only, which keeps the cost per
# new article bounded however many outlets piled onto one event.
MEMBERS_COMPARED = 8


def _stem(token: str) -> str:
    if any(c.isdigit() for c in token):
        return token  # "gpt5", "q3", "2026": numbers tell events apart, keep them whole
    if len(token) > 4:
        for suffix in _SUFFIXES:
            if token.endswith(suffix) and len(token) - len(suffix) >= 3:
                token = token[: -len(suffix)]
                break
    return token[:STEM_LENGTH]


def title_key(title: str) -> str:
    """The comparable form of a headline: significant stemmed tokens, in order, deduplicated.

    "Meta Pauses Employee-Tracking Program" → "meta paus employ track progra".
    """
    seen: dict[str, None] = {}
    for raw in _TOKEN.findall(title.casefold()):
        if raw in STOPWORDS or (len(raw) < 2 and not raw.isdigit()):
            continue
        seen.setdefault(_stem(raw), None)
    return " ".join(seen)


def same_event(key_a: str, key_b: str) -> bool:
    """Whether two title keys describe one event (the clustering rule, exposed for tests)."""
    tokens_a, tokens_b = set(key_a.split()), set(key_b.split())
    return _similar(key_a, tokens_a, key_b, tokens_b) is not None


def _similar(key_a: str, tokens_a: set[str], key_b: str, tokens_b: set[str]) -> float | None:
    shared = len(tokens_a & tokens_b)
    if shared < MIN_SHARED or shared / min(len(tokens_a), len(tokens_b)) < MIN_OVERLAP:
        return None
    ratio = fuzz.token_set_ratio(key_a, key_b, score_cutoff=MIN_RATIO)
    return ratio or None


@dataclass
class _Cluster:
    story_id: int | None
    scopes: set[str] = field(default_factory=set)
    members: list[tuple[str, set[str]]] = field(default_factory=list)
    new_articles: list[StoredArticleRef] = field(default_factory=list)


def cluster_articles(
    new: Sequence[StoredArticleRef], existing: Sequence[StoryMember]
) -> list[tuple[int | None, list[StoredArticleRef]]]:
    """Assign each new article to an existing story or to a new one.

    Returns ``(story_id, articles)`` pairs: ``story_id`` is an existing story's id, or None
    for a new story. Every new article appears exactly once. New articles are taken in a
    canonical order (date, scope, title) so the grouping does not depend on input order.
    A story never takes two articles from the same scope (one feed's follow-ups and
    recurring columns are separate items, not extra sources).
    """
    clusters: list[_Cluster] = []
    index: dict[str, set[int]] = defaultdict(set)
    by_story: dict[int, int] = {}

    def add_member(position: int, key: str, tokens: set[str], scope: str) -> None:
        cluster = clusters[position]
        cluster.members.append((key, tokens))
        cluster.scopes.add(scope)
        for token in tokens:
            index[token].add(position)

    for member in existing:
        position = by_story.get(member.story_id)
        if position is None:
            position = len(clusters)
            by_story[member.story_id] = position
            clusters.append(_Cluster(member.story_id))
        add_member(position, member.title_key, set(member.title_key.split()), member.scope)

    ordered = sorted(new, key=lambda a: (a.published_at, a.scope, a.title_key, a.title, a.id))
    for article in ordered:
        tokens = set(article.title_key.split())
        best: tuple[float, int] | None = None
        if len(tokens) >= MIN_SHARED:
            shared = Counter(
                position
                for token in tokens
                if len(index.get(token, ())) <= COMMON_TOKEN_POSTINGS
                for position in index.get(token, ())
            )
            for position, count in shared.items():
                cluster = clusters[position]
                if count < MIN_SHARED or article.scope in cluster.scopes:
                    continue
                for key, member_tokens in cluster.members[:MEMBERS_COMPARED]:
                    score = _similar(article.title_key, tokens, key, member_tokens)
                    if score is not None and (
                        best is None or (score, -position) > (best[0], -best[1])
                    ):
                        best = (score, position)
        if best is None:
            position = len(clusters)
            clusters.append(_Cluster(None))
        else:
            position = best[1]
        clusters[position].new_articles.append(article)
        add_member(position, article.title_key, tokens, article.scope)

    return [(c.story_id, c.new_articles) for c in clusters if c.new_articles]
