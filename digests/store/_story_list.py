"""Store part for reading stories as the console lists them: the latest first, a page at a
time, optionally only those with an article whose title or summary holds every given word.

The word search is a plain ``LIKE`` (no full-text index, the same query on both engines),
bounded in cost: only articles published in the last ``days`` days are searched (the
``articles_published`` index finds them), at most ``MAX_WORDS`` words, and a page of
stories at a time. ``LOWER`` folds only ASCII letters on SQLite, so each word is also
compared as it was typed (an editor typing "Đà Nẵng" finds "Đà Nẵng" on both engines).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from digests.store._base import StoreBase, like_literal, placeholders
from digests.timeutil import from_db, to_db

MAX_WORDS = 8


@dataclass(frozen=True)
class ListedArticle:
    id: int
    source: str
    title: str
    url: str
    published_at: datetime


@dataclass(frozen=True)
class ListedStory:
    id: int
    title: str
    first_seen_at: datetime
    last_seen_at: datetime
    articles: tuple[ListedArticle, ...] = ()
    categories: tuple[str, ...] = field(default=())


def like_pattern(word: str) -> str:
    """``%word%`` for ``LIKE ... ESCAPE '\\'``, the word's own ``%``, ``_`` and ``\\``
    taken literally (pure)."""
    return f"%{like_literal(word)}%"


def _word_clause(word: str) -> tuple[str, list[object]]:
    """The condition that an article's title or summary holds ``word``, any case. The word
    as typed is compared too only when lowering changes it (a cost paid by capitals)."""
    lowered = like_pattern(word.lower())
    sql = "LOWER(a.title) LIKE ? ESCAPE '\\' OR LOWER(a.summary) LIKE ? ESCAPE '\\'"
    params: list[object] = [lowered, lowered]
    if word.lower() != word:
        sql += " OR a.title LIKE ? ESCAPE '\\' OR a.summary LIKE ? ESCAPE '\\'"
        params += [like_pattern(word), like_pattern(word)]
    return f"({sql})", params


class StoryListStore(StoreBase):
    async def latest_stories(
        self,
        *,
        limit: int,
        offset: int = 0,
        words: Sequence[str] = (),
        published_since: datetime | None = None,
    ) -> list[ListedStory]:
        """Stories by last seen, newest first, ``limit`` from ``offset``; with ``words``,
        only stories having an article published since ``published_since`` whose title or
        summary holds every word (case-insensitive)."""
        where, params = "", []
        if words:
            clauses = ["a.published_at >= ?"]
            params.append(to_db(published_since) if published_since else "")
            for word in list(words)[:MAX_WORDS]:
                sql, values = _word_clause(word)
                clauses.append(sql)
                params.extend(values)
            where = (
                "WHERE s.id IN (SELECT a.story_id FROM articles a WHERE "
                + " AND ".join(clauses)
                + " AND a.story_id IS NOT NULL)"
            )
        rows = await self._fetchall(
            f"""SELECT s.id, s.title, s.first_seen_at, s.last_seen_at FROM stories s {where}
                ORDER BY s.last_seen_at DESC, s.id DESC LIMIT ? OFFSET ?""",
            [*params, limit, offset],
        )
        stories = [ListedStory(r[0], r[1], from_db(r[2]), from_db(r[3])) for r in rows]  # type: ignore[arg-type]
        return await self._with_articles(stories)

    async def _with_articles(self, stories: list[ListedStory]) -> list[ListedStory]:
        if not stories:
            return []
        ids = [s.id for s in stories]
        marks = placeholders(ids)
        articles: dict[int, list[ListedArticle]] = {}
        for r in await self._fetchall(
            f"""SELECT id, story_id, source, title, url, published_at FROM articles
                WHERE story_id IN ({marks}) ORDER BY published_at, id""",
            ids,
        ):
            articles.setdefault(r[1], []).append(
                ListedArticle(r[0], r[2], r[3], r[4], from_db(r[5]))  # type: ignore[arg-type]
            )
        categories: dict[int, set[str]] = {}
        for r in await self._fetchall(
            f"""SELECT DISTINCT a.story_id, ac.category FROM articles a
                JOIN article_categories ac ON ac.article_id = a.id
                WHERE a.story_id IN ({marks})""",
            ids,
        ):
            categories.setdefault(r[0], set()).add(r[1])
        return [
            ListedStory(
                s.id,
                s.title,
                s.first_seen_at,
                s.last_seen_at,
                tuple(articles.get(s.id, ())),
                tuple(sorted(categories.get(s.id, ()))),
            )
            for s in stories
        ]
