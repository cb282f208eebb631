"""An editor's corrections to story grouping, decided purely: splitting an article out of a
story that was grouped wrongly, and merging two stories that report one event.

The store (``digests.store._story_edits``) reads the stories inside its write transaction,
asks these functions what to do, and writes the answer. What the edits mean for readers:

- **Merge.** The story with the lower id is kept (it was made first: the one readers were
  most likely sent, the one breaking pushes and cached summaries name, and ids grow with
  time, which the dispatcher's reading of received stories from the pool's first story id
  on relies on). The other's articles move to it and its row goes. Whoever received either
  story counts as having received the merged one: it reports the same event, so it is
  never sent to them again as new (``sent_stories`` rows of the absorbed story are copied
  to the kept one, as migration 7 did for duplicate articles).
- **Split.** The article becomes a story of its own, made as ingest would have made it had
  it arrived alone (title from the article, first seen at its publication, last seen when
  it was stored). A reader who received the old story after the article had been stored
  (``saw_article``) may have seen it in that story: the new story counts as received for
  them, so it never comes back as "new". A reader who received the old story before the
  article existed never saw it: for them it is news, and their digest may carry it (the
  cursor still decides, as for any story).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from digests.errors import ConflictError, InputError

# Why an edit was refused; the console words each one in the editor's language.
ALONE = "alone"  # the article is its story's only one: it is on its own already
SAME = "same"  # a story merged with itself
MOVED = "moved"  # the article is not in the story the editor saw it in any more


class StoryEditRefused(ConflictError):
    """The edit contradicts the stories as they are; ``reason`` is one of the words above."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class StoryIdInvalid(InputError):
    """A story or article id that is not a whole number the store could hold."""


# The largest id either engine holds (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def parse_id(text: object) -> int:
    """A positive id from what a form or a command gave (pure); ``StoryIdInvalid`` for
    anything else: not text, not ASCII digits, zero, too long or too large."""
    if not isinstance(text, str):
        raise StoryIdInvalid("an id is a whole number")
    text = text.strip()
    if not (0 < len(text) <= 19 and text.isascii() and text.isdigit()):
        raise StoryIdInvalid("an id is a whole number")
    value = int(text)
    if not 0 < value <= MAX_ID:
        raise StoryIdInvalid("an id is a whole number")
    return value


@dataclass(frozen=True)
class Member:
    """An article of a story, as an edit needs to see it."""

    id: int
    title: str
    published_at: datetime
    fetched_at: datetime


def check_split(story_id: int, expected_story: int | None, members: Sequence[int]) -> None:
    """Refuse splitting an article out of ``story_id`` (whose article ids are ``members``,
    the article among them) when it is the story's only one, or is no longer in the story
    the editor saw it in (``expected_story``)."""
    if expected_story is not None and expected_story != story_id:
        raise StoryEditRefused(MOVED, f"the article is no longer in story {expected_story}")
    if len(members) <= 1:
        raise StoryEditRefused(ALONE, "the article is already on its own")


def split_seen(article: Member) -> tuple[datetime, datetime]:
    """(first seen, last seen) of the story an article becomes alone: as ingest makes a new
    story, from its publication to when it was stored (never before its publication)."""
    return article.published_at, max(article.published_at, article.fetched_at)


def remaining_title(old_title: str, split: Member, remaining: Sequence[Member]) -> str:
    """The old story's title after ``split`` left: unchanged unless it was that article's
    title, then (as ingest titles a new story) the earliest remaining article's."""
    if old_title != split.title or not remaining:
        return old_title
    return min(remaining, key=lambda m: (m.published_at, m.id)).title


def merge_order(a: int, b: int) -> tuple[int, int]:
    """(kept, absorbed) of a merge of stories ``a`` and ``b``: the older id is kept (see the
    module's docstring); a story is never merged with itself."""
    if a == b:
        raise StoryEditRefused(SAME, "a story cannot be merged with itself")
    return (a, b) if a < b else (b, a)


def merged_seen(
    kept: tuple[datetime, datetime], absorbed: tuple[datetime, datetime]
) -> tuple[datetime, datetime]:
    """(first seen, last seen) of a merged story: the earlier first, the later last."""
    return min(kept[0], absorbed[0]), max(kept[1], absorbed[1])


def saw_article(received_at: datetime, stored_at: datetime) -> bool:
    """Whether a reader who received a story at ``received_at`` may have seen an article of
    it stored at ``stored_at``: only if it was stored by then. (A digest planned before the
    article arrived but sent after counts as seen: the edit never re-sends what a reader
    may have read; it may withhold an article from a reader in that short window.)"""
    return stored_at <= received_at
