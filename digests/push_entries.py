"""What starting a breaking push writes (``digests.breaking.start_push`` decides when):
an outbox entry for each subscriber who has not had the story, and, for a new article,
the article itself, stored in the same transaction as the push so that a refused push
leaves no article behind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from digests.assemble import Story, make_story
from digests.ingest.cluster import title_key
from digests.ingest.stories import grouping
from digests.models import Article, NewArticle
from digests.outgoing import OutgoingMessage
from digests.store import BREAKING_PRIORITY, OutboxItem, Store, StoreError, import_scope

# (platform, language) -> what a reader there receives.
Render = Callable[[str, str], OutgoingMessage]


async def entries(store: Store, story: Story, category: str, render: Render) -> list[OutboxItem]:
    """An outbox entry for each active subscriber of ``category`` who has not had the
    story, each rendering made once per (platform, language)."""
    subscribers = await store.active_subscribers_of(category)
    had = await store.had_story(story.story_id, [s[0] for s in subscribers])
    rendered: dict[tuple[str, str], OutgoingMessage] = {}
    items = []
    for subscriber_id, platform, language, _zone in subscribers:
        if subscriber_id in had:
            continue
        key = (platform, language)
        if key not in rendered:
            rendered[key] = render(platform, language)
        items.append(
            OutboxItem(
                subscriber_id,
                "breaking",
                f"story:{story.story_id}",
                platform,
                [rendered[key]],
                story_ids=(story.story_id,),
                priority=BREAKING_PRIORITY,
            )
        )
    return items


def new_article(draft: Article) -> NewArticle:
    """The article a draft was made from (``breaking.resolve_article``), to store."""
    return NewArticle(
        url=draft.url,
        title=draft.title,
        summary=draft.summary,
        source=draft.source,
        published_at=draft.published_at,
        author=draft.author,
        image_url=draft.image_url,
        word_count=draft.word_count,
        title_key=title_key(draft.title),
    )


async def push_new_article(
    store: Store,
    draft: Article,
    *,
    category: str,
    content_of: Callable[[Story], Awaitable[tuple[int, list[OutboxItem]]]],
    requested_by: str,
    now: datetime,
    story_window: timedelta,
) -> int:
    """Store the draft's article (grouped into a story) and open its push in one
    transaction; ``content_of`` gives the story id and entries for the article's story.
    Returns the push id; raises PushBusy, with nothing stored, while another push of
    ``category`` goes out."""

    async def content(article_id: int) -> tuple[int, list[OutboxItem]]:
        # Inside the push's transaction: the article is stored and grouped, not committed.
        stored = await store.get_article(article_id)
        if stored is None:  # pragma: no cover - push_new_article stored and grouped it
            raise StoreError(f"the article {draft.url} could not be stored")
        return await content_of(make_story(await store.articles_of_story(stored.story_id), now))

    push_id, _total = await store.push_new_article(
        import_scope(draft.source),
        new_article(draft),
        grouping(now=now, window=story_window),
        category=category,
        content=content,
        requested_by=requested_by,
        now=now,
    )
    return push_id
