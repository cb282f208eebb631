"""Small builders that put realistic rows into a real store for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from digests.dburl import PostgresUrl
from digests.ingest.importer import import_records
from digests.models import Category
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


async def seed_newsroom(db: Path | PostgresUrl) -> None:
    """A database file with two categories and three articles from an hour ago (the two
    Meta headlines form one story), for end-to-end runs of the real process."""
    now = datetime.now(UTC)
    store = await Store.open(db)
    try:
        await store.upsert_category(Category("ai-frontier", "AI Frontier", "", 0))
        await store.upsert_category(Category("climate", "Climate", "", 1))
        records = [
            {
                "url": "https://wired.example/meta",
                "title": "Meta Pauses Employee-Tracking Program Following Internal Data Leak",
                "source": "Wired AI",
                "category": "ai-frontier",
            },
            {
                "url": "https://ledger.example/meta",
                "title": "Meta Exposed Data Internally From "
                "Its Controversial Employee-Tracking Program",
                "source": "Tech Ledger",
                "category": "ai-frontier",
            },
            {
                "url": "https://desk.example/heat",
                "title": "Heat pumps overtake gas boilers",
                "source": "Climate Desk",
                "category": "climate",
            },
        ]
        await import_records(
            store,
            [
                (
                    i,
                    {
                        **r,
                        "published_at": (now - timedelta(hours=1)).isoformat(),
                        "summary": "What happened, briefly.",
                    },
                )
                for i, r in enumerate(records, 1)
            ],
            now=now,
            story_window=timedelta(hours=48),
        )
    finally:
        await store.close()
