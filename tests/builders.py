"""Small builders that put realistic rows into a real store for tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from digests.ingest.importer import import_records
from digests.store import Store


async def add_article(
    store: Store,
    *,
    url: str,
    title: str,
    now: datetime,
    category: str = "climate",
    source: str = "Desk",
    age: timedelta = timedelta(hours=1),
) -> None:
    """Store one article the way a CMS import would (normalised, grouped into a story)."""
    await import_records(
        store,
        [
            (
                1,
                {
                    "url": url,
                    "title": title,
                    "category": category,
                    "source": source,
                    "published_at": (now - age).isoformat(),
                },
            )
        ],
        now=now,
        story_window=timedelta(hours=48),
    )


async def due_reader(
    store: Store,
    platform: str,
    chat_id: str,
    categories: list[str],
    *,
    now: datetime,
    late: timedelta = timedelta(minutes=1),
    **fields: object,
) -> int:
    """A subscriber of ``categories`` whose digest fell due ``late`` ago."""
    reader = await store.upsert_subscriber(platform, chat_id, now=now, **fields)  # type: ignore[arg-type]
    await store.subscribe(reader.id, categories, now=now)
    await store.update_subscriber(reader.id, now=now, next_digest_at=now - late)
    return reader.id
