"""Store articles and put them into stories in one step: the one way in for every source.

Feeds (``poll_feeds``), the CMS import (``digestbot import``, breaking news by URL) and the
admin API all call ``store_and_group``, so an article is never stored without a story: the
store runs the clustering (``cluster.cluster_articles``, pure) inside the same write
transaction that stores the articles, and a failure in either stores nothing.
``group_orphans`` puts articles that have no story (left by an older version after a
crash or a full disk) into stories; ``digestbot run`` calls it at start and each poll does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from digests.ingest.cluster import cluster_articles
from digests.models import NewArticle
from digests.store import Grouping, Ingested, Store


def grouping(*, now: datetime, window: timedelta) -> Grouping:
    """Cluster against the stories seen within ``window`` before ``now``."""
    return Grouping(cluster_articles, now - window)


async def store_and_group(
    store: Store,
    scope: str,
    articles: Sequence[NewArticle],
    categories: Sequence[str],
    *,
    now: datetime,
    window: timedelta,
    feed_id: int | None = None,
) -> Ingested:
    """Store one scope's articles and group the new ones into stories, in one transaction.

    Returns the counts, the newly stored articles and how many new stories they made.
    """
    return await store.store_articles(
        scope,
        articles,
        categories,
        now=now,
        feed_id=feed_id,
        grouping=grouping(now=now, window=window),
    )


async def group_orphans(store: Store, *, now: datetime, window: timedelta) -> int:
    """Group every article that has no story; return how many new stories that made."""
    _, stories_new = await store.group_orphans(grouping(now=now, window=window), now=now)
    return stories_new
