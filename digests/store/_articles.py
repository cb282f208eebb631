"""Store part for articles and the stories that group them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from digests.models import Article, IngestCounts, NewArticle, StoredArticleRef, StoryMember
from digests.store._base import StoreBase, chunks, placeholders
from digests.timeutil import from_db, to_db

_COMPARED = ("url", "title", "summary", "author", "image_url", "word_count")


def feed_scope(feed_id: int) -> str:
    """The namespace in which a feed's guids and URLs identify its articles."""
    return f"feed:{feed_id}"


def import_scope(source: str) -> str:
    """The namespace of articles a CMS pushes for one source name."""
    return f"import:{source.strip().casefold()}"


class ArticleStore(StoreBase):
    async def ingest_articles(
        self,
        scope: str,
        articles: Sequence[NewArticle],
        categories: Sequence[str],
        *,
        now: datetime,
        feed_id: int | None = None,
    ) -> tuple[IngestCounts, list[StoredArticleRef]]:
        """Insert new articles and update edited ones of one scope, in one transaction.

        The same guid, or else the same canonical URL, within ``scope`` is one article: a
        repeat with changed text updates it in place (keeping its id and story), an identical
        repeat is left alone. Returns the counts and the newly inserted articles.
        """
        unique: dict[str, NewArticle] = {}
        for article in articles:
            unique.setdefault(article.guid or article.url, article)
        batch = list(unique.values())
        existing = await self._existing(scope, batch)
        counts = IngestCounts()
        created: list[StoredArticleRef] = []
        stamp = to_db(now)
        updates: list[tuple[object, ...]] = []
        inserts: list[tuple[object, ...]] = []
        links: list[tuple[int, str]] = []
        async with self._transaction() as db:
            next_id = await self._next_id(db, "articles")
            for article in batch:
                row = existing.get(("guid", article.guid)) if article.guid else None
                row = row or existing.get(("url", article.url))
                if row is not None:
                    if all(row[k] == getattr(article, k) for k in _COMPARED) and (
                        row["title_key"] == article.title_key
                    ):
                        counts += IngestCounts(unchanged=1)
                    else:
                        updates.append(
                            (
                                article.url,
                                article.title,
                                article.title_key,
                                article.summary,
                                article.author,
                                article.image_url,
                                article.word_count,
                                stamp,
                                article.guid,
                                row["id"],
                            )
                        )
                        counts += IngestCounts(updated=1)
                    continue
                published = article.published_at or now
                article_id = next_id
                next_id += 1
                inserts.append(
                    (
                        article_id,
                        scope,
                        feed_id,
                        article.guid,
                        article.url,
                        article.title,
                        article.title_key,
                        article.summary,
                        article.source,
                        article.author,
                        article.image_url,
                        article.word_count,
                        to_db(published),
                        int(article.date_known),
                        stamp,
                        stamp,
                    )
                )
                links.extend((article_id, c) for c in dict.fromkeys(categories))
                counts += IngestCounts(new=1)
                created.append(
                    StoredArticleRef(article_id, scope, article.title, article.title_key, published)
                )
            # Whole batches in three statements: a feed of fifty items is three round trips
            # to the database thread, not a hundred.
            await db.executemany(
                """UPDATE articles SET url = ?, title = ?, title_key = ?, summary = ?,
                       author = ?, image_url = ?, word_count = ?, updated_at = ?,
                       guid = COALESCE(guid, ?)
                   WHERE id = ?""",
                updates,
            )
            await db.executemany(
                """INSERT INTO articles (id, scope, feed_id, guid, url, title, title_key,
                       summary, source, author, image_url, word_count, published_at,
                       date_known, fetched_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                inserts,
            )
            await db.executemany(
                "INSERT INTO article_categories (article_id, category) VALUES (?, ?)", links
            )
        return counts, created

    async def _existing(self, scope: str, batch: Sequence[NewArticle]) -> dict[tuple, dict]:
        found: dict[tuple, dict] = {}
        columns = "id, guid, title_key, " + ", ".join(_COMPARED)
        guids = [a.guid for a in batch if a.guid]
        urls = [a.url for a in batch]
        for part in chunks(guids):
            for row in await self._fetchall(
                f"SELECT {columns} FROM articles WHERE scope = ? AND guid IN "
                f"({placeholders(part)})",
                [scope, *part],
            ):
                found[("guid", row["guid"])] = dict(row)
        for part in chunks(urls):
            for row in await self._fetchall(
                f"SELECT {columns} FROM articles WHERE scope = ? AND url IN "
                f"({placeholders(part)}) ORDER BY id",
                [scope, *part],
            ):
                found.setdefault(("url", row["url"]), dict(row))
        return found

    # --- stories ----------------------------------------------------------------------

    async def recent_story_members(self, since: datetime) -> list[StoryMember]:
        """Articles of stories seen since ``since``: what new articles are clustered against."""
        rows = await self._fetchall(
            """SELECT a.story_id, a.id, a.scope, a.title_key FROM stories s
               JOIN articles a ON a.story_id = s.id
               WHERE s.last_seen_at >= ? ORDER BY a.id""",
            (to_db(since),),
        )
        return [StoryMember(r[0], r[1], r[2], r[3]) for r in rows]

    async def assign_stories(
        self,
        assignments: Sequence[tuple[int | None, Sequence[StoredArticleRef]]],
        *,
        now: datetime,
    ) -> list[int]:
        """Attach articles to stories; a ``None`` story id makes a new story of them.

        Returns the story id of each assignment, in order.
        """
        story_ids: list[int] = []
        new_stories: list[tuple[object, ...]] = []
        touched: list[tuple[object, ...]] = []
        members_of: list[tuple[int, int]] = []
        async with self._transaction() as db:
            next_id = await self._next_id(db, "stories")
            for story_id, members in assignments:
                if not members:
                    story_ids.append(story_id or 0)
                    continue
                newest = to_db(max(max(m.published_at for m in members), now))
                if story_id is None:
                    first = min(members, key=lambda m: (m.published_at, m.id))
                    story_id = next_id
                    next_id += 1
                    new_stories.append((story_id, first.title, to_db(first.published_at), newest))
                else:
                    touched.append((newest, story_id))
                members_of.extend((story_id, m.id) for m in members)
                story_ids.append(story_id)
            await db.executemany(
                "INSERT INTO stories (id, title, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)",
                new_stories,
            )
            await db.executemany(
                "UPDATE stories SET last_seen_at = MAX(last_seen_at, ?) WHERE id = ?", touched
            )
            await db.executemany("UPDATE articles SET story_id = ? WHERE id = ?", members_of)
        return story_ids

    # --- reading for digests ----------------------------------------------------------

    async def candidate_articles(
        self, *, published_since: datetime, categories: Sequence[str] | None = None
    ) -> list[Article]:
        """Dated, clustered articles published since the given instant, with their categories
        and their feed's priority; the input of digest assembly."""
        where = "a.published_at >= ? AND a.date_known = 1 AND a.story_id IS NOT NULL"
        params: list[object] = [to_db(published_since)]
        if categories is not None:
            where += f" AND ac.category IN ({placeholders(categories)})"
            params.extend(categories)
        return await self._select_articles(where, params)

    async def get_article(self, article_id: int) -> Article | None:
        """A grouped article by id, or None when there is none (or it is not in a story)."""
        found = await self._select_articles("a.id = ? AND a.story_id IS NOT NULL", [article_id])
        return found[0] if found else None

    async def find_article_by_url(self, url: str) -> Article | None:
        """The first grouped article with this canonical URL, in any feed or source."""
        found = await self._select_articles("a.url = ? AND a.story_id IS NOT NULL", [url])
        return found[0] if found else None

    async def articles_of_story(self, story_id: int) -> list[Article]:
        return await self._select_articles("a.story_id = ?", [story_id])

    async def _select_articles(self, where: str, params: Sequence[object]) -> list[Article]:
        rows = await self._fetchall(
            f"""SELECT a.id, a.feed_id, a.url, a.title, a.summary, a.source, a.author,
                       a.image_url, a.word_count, a.published_at, a.fetched_at, a.story_id,
                       COALESCE(f.priority, 0) AS priority,
                       group_concat(ac.category, ',') AS cats
                FROM articles a
                JOIN article_categories ac ON ac.article_id = a.id
                LEFT JOIN feeds f ON f.id = a.feed_id
                WHERE {where}
                GROUP BY a.id ORDER BY a.id""",
            params,
        )
        return [
            Article(
                id=r["id"],
                feed_id=r["feed_id"],
                url=r["url"],
                title=r["title"],
                summary=r["summary"],
                source=r["source"],
                categories=tuple(sorted(r["cats"].split(","))),
                published_at=from_db(r["published_at"]),  # type: ignore[arg-type]
                fetched_at=from_db(r["fetched_at"]),  # type: ignore[arg-type]
                story_id=r["story_id"],
                priority=r["priority"],
                author=r["author"],
                image_url=r["image_url"],
                word_count=r["word_count"],
            )
            for r in rows
        ]

    async def first_unclustered_id(self) -> int | None:
        """The lowest id of an article not yet in a story, or None when all are."""
        row = await self._fetchone("SELECT MIN(id) FROM articles WHERE story_id IS NULL")
        return int(row[0]) if row and row[0] is not None else None

    async def latest_article_id(self) -> int:
        row = await self._fetchone("SELECT COALESCE(MAX(id), 0) FROM articles")
        return int(row[0]) if row else 0

    async def delete_articles_before(self, cutoff: datetime) -> int:
        """Retention: delete articles published before ``cutoff`` and stories left empty."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "DELETE FROM articles WHERE published_at < ?", (to_db(cutoff),)
            )
            await db.execute(
                "DELETE FROM stories WHERE id NOT IN "
                "(SELECT story_id FROM articles WHERE story_id IS NOT NULL)"
            )
            return cursor.rowcount
