"""What storing one batch of articles writes, worked out without SQL from the rows of the
scope already stored; ``ArticleStore`` reads those rows and writes the result."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from digests.models import IngestCounts, NewArticle, StoredArticleRef
from digests.store._recent import RecentStories
from digests.timeutil import from_db, to_db

# The columns whose change makes a repeat of a stored article an edit.
COMPARED = ("url", "title", "summary", "author", "image_url", "word_count")


class BatchPlan:
    """The rows one batch inserts and updates, the categories it links, and what it counts.

    ``by_guid`` and ``by_url`` (stored rows of the scope, as dicts) are updated as the batch
    goes, so that a second record of an article the batch already holds is a repeat.
    ``recent`` (the connection's story cache, if any) learns the new title of an edited
    article that is in a story.
    """

    def __init__(
        self,
        scope: str,
        categories: Sequence[str],
        *,
        feed_id: int | None,
        now: datetime,
        next_id: int,
        by_guid: dict[str, dict],
        by_url: dict[str, dict],
        recent: RecentStories | None,
    ) -> None:
        self.scope = scope
        self.categories = categories
        self.feed_id = feed_id
        self.now = now
        self.stamp = to_db(now)
        self.next_id = next_id
        self.by_guid = by_guid
        self.by_url = by_url
        self.recent = recent
        self.counts = IngestCounts()
        self.created: list[StoredArticleRef] = []
        self.orphans: list[StoredArticleRef] = []
        self.updates: list[tuple[object, ...]] = []
        self.inserts: list[tuple[object, ...]] = []
        self.links: list[tuple[int, str]] = []
        # (language, id) of stored articles that had none and are repeated with one.
        self.languages: list[tuple[str, int]] = []
        self.inserted: set[int] = set()

    def add(self, article: NewArticle) -> None:
        """Plan one article: a new row, an edit of a stored one, or nothing (a repeat)."""
        row = self.by_guid.get(article.guid) if article.guid else None
        row = row or self.by_url.get(article.url)
        if row is None:
            self._insert(article)
            return
        if row["id"] in self.inserted or (
            all(row[k] == getattr(article, k) for k in COMPARED)
            and row["title_key"] == article.title_key
        ):
            # A second record of an article this batch inserted counts as a repeat, like
            # an identical one.
            self.counts += IngestCounts(unchanged=1)
            self._learn_language(row, article)
        else:
            row = self._update(row, article)
        if row["story_id"] is None and row["id"] not in self.inserted:
            self.orphans.append(
                StoredArticleRef(
                    row["id"],
                    self.scope,
                    row["title"],
                    row["title_key"],
                    from_db(row["published_at"]),  # type: ignore[arg-type]
                )
            )

    def _learn_language(self, row: dict, article: NewArticle) -> None:
        """Plan the language of a stored article when its repeat brings another one: an
        article stored without one (before schema 11), or one whose feed or CMS corrected
        its tag (a row this batch inserted has its own). A repeat without a language (too
        short to tell) keeps the stored one."""
        if row["id"] in self.inserted or not article.language:
            return
        if row.get("language", article.language) != article.language:
            row["language"] = article.language
            self.languages.append((article.language, row["id"]))

    def _update(self, row: dict, article: NewArticle) -> dict:
        # An edit may move the article to a URL another article of the scope holds; the
        # two stay apart and this one keeps its URL.
        holder = self.by_url.get(article.url)
        url = article.url if holder is None or holder is row else row["url"]
        self.by_url.pop(row["url"], None)
        row = {**row, **{k: getattr(article, k) for k in COMPARED}}
        row.update(url=url, title_key=article.title_key)
        row["guid"] = row["guid"] or article.guid
        row["language"] = article.language or row.get("language")
        self.by_url[url] = row
        if row["guid"]:
            self.by_guid[row["guid"]] = row
        self.updates.append(
            (
                url,
                article.title,
                article.title_key,
                article.summary,
                article.author,
                article.image_url,
                article.word_count,
                self.stamp,
                article.guid,
                article.language,
                row["id"],
            )
        )
        self.counts += IngestCounts(updated=1)
        if row["story_id"] is not None and self.recent is not None:
            self.recent.retitle(row["story_id"], row["id"], article.title_key)
        return row

    def _insert(self, article: NewArticle) -> None:
        published = article.published_at or self.now
        article_id = self.next_id
        self.next_id += 1
        self.inserted.add(article_id)
        fresh = {
            "id": article_id,
            "story_id": None,
            "guid": article.guid,
            "language": article.language,
        }
        self.by_url[article.url] = fresh
        if article.guid:
            self.by_guid[article.guid] = fresh
        self.inserts.append(
            (
                article_id,
                self.scope,
                self.feed_id,
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
                self.stamp,
                self.stamp,
                article.language,
            )
        )
        self.links.extend((article_id, c) for c in dict.fromkeys(self.categories))
        self.counts += IngestCounts(new=1)
        self.created.append(
            StoredArticleRef(article_id, self.scope, article.title, article.title_key, published)
        )
