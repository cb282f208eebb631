"""The language an article gets at ingest is stored and read back into every Article the
store builds, on both engines: from polled feeds, imports, edits, and older articles
(stored without one) seen again."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from digests.ingest.fetch import build_client
from digests.ingest.importer import import_records
from digests.ingest.pipeline import poll_feeds
from digests.ingest.stories import store_and_group
from digests.models import Article, NewArticle
from digests.settings import Settings
from digests.store import Store
from tests.conftest import NOW

FIXTURES = Path(__file__).parents[2] / "fixtures" / "languages"
WINDOW = timedelta(hours=36)


async def serve_fixtures(local_server) -> str:  # type: ignore[no-untyped-def]
    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=(FIXTURES / request.match_info["name"]).read_bytes())

    app = web.Application()
    app.router.add_get("/{name}", handle)
    return str(await local_server(app))


def by_url(articles: list[Article]) -> dict[str, str | None]:
    return {a.url: a.language for a in articles}


async def test_polled_feeds_store_each_items_language(
    categorised_store: Store,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    store = categorised_store
    base = await serve_fixtures(local_server)
    for name in ("rss-vi.xml", "atom-lang.xml", "rss-undeclared-en.xml", "rss-undeclared-vi.xml"):
        await store.upsert_feed(
            f"{base}/{name}", ["climate"], now=NOW, interval=timedelta(minutes=15)
        )
    settings = Settings()
    async with build_client(settings.fetch) as client:
        report = await poll_feeds(store, client, settings, now=NOW)
    assert not report.failed
    stored = by_url(await store.candidate_articles(published_since=NOW - WINDOW))
    assert stored == {
        "https://bao.example/1": "vi",
        "https://bao.example/2": "vi",
        "https://bao.example/3": "vi",
        "https://mixed.example/1": "en",
        "https://mixed.example/2": "vi",
        "https://mixed.example/3": "en",
        "https://wire.example/1": "en",
        "https://wire.example/2": None,
        "https://tin.example/1": "vi",
    }


def article(n: int, **fields: object) -> NewArticle:
    base = NewArticle(
        url=f"https://cms.example/{n}",
        title=f"Harbour works finish early in town number {n}",
        summary="The new quay opens to ships next week.",
        source="Desk",
        published_at=NOW - timedelta(hours=1),
        guid=f"g{n}",
        title_key=f"harbour works town {n}",
    )
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


async def save(store: Store, *articles: NewArticle):  # type: ignore[no-untyped-def]
    return await store_and_group(
        store, "import:desk", list(articles), ["climate"], now=NOW, window=WINDOW
    )


async def test_every_read_carries_the_language(categorised_store: Store) -> None:
    store = categorised_store
    await save(store, article(1, language="vi"), article(2))
    first = await store.find_article_by_url("https://cms.example/1")
    assert first is not None and first.language == "vi"
    got = await store.get_article(first.id)
    assert got is not None and got.language == "vi"
    assert [a.language for a in await store.articles_of_story(first.story_id)] == ["vi"]
    pool = await store.candidate_articles(published_since=NOW - WINDOW, categories=["climate"])
    assert by_url(pool) == {"https://cms.example/1": "vi", "https://cms.example/2": None}


async def test_an_edit_writes_the_new_language_and_keeps_a_known_one(
    categorised_store: Store,
) -> None:
    store = categorised_store
    await save(store, article(1, language="en"))
    edited = await save(store, article(1, title="Harbour works finish late", language="vi"))
    assert edited.counts.updated == 1
    found = await store.find_article_by_url("https://cms.example/1")
    assert found is not None and found.language == "vi"
    # An edit that brings no language (too short to tell) keeps the one stored.
    await save(store, article(1, title="Harbour", language=None))
    found = await store.find_article_by_url("https://cms.example/1")
    assert found is not None and (found.title, found.language) == ("Harbour", "vi")


async def test_an_older_article_learns_its_language_when_seen_again(
    categorised_store: Store,
) -> None:
    store = categorised_store
    await save(store, article(1, language=None))  # as stored before schema 11
    again = await save(store, article(1, language="en"))
    assert (again.counts.new, again.counts.updated, again.counts.unchanged) == (0, 0, 1)
    found = await store.find_article_by_url("https://cms.example/1")
    assert found is not None and found.language == "en"
    # A repeat with another language corrects it; one without a language keeps it.
    await save(store, article(1, language="vi"))
    await save(store, article(1, language=None))
    found = await store.find_article_by_url("https://cms.example/1")
    assert found is not None and found.language == "vi"


async def test_a_repeat_within_one_batch_keeps_the_first_records_language(
    categorised_store: Store,
) -> None:
    store = categorised_store
    done = await save(store, article(1, language="vi"), article(1, url="https://cms.example/1b"))
    assert done.counts.new == 1
    found = await store.find_article_by_url("https://cms.example/1")
    assert found is not None and found.language == "vi"


async def test_imported_records_store_a_declared_or_detected_language(
    categorised_store: Store,
) -> None:
    records = [
        (1, {**_record(1), "language": "vi-VN"}),
        (2, _record(2)),
        (3, {**_record(3), "title": "Ok", "language": ""}),
    ]
    report = await import_records(categorised_store, records, now=NOW, story_window=WINDOW)
    assert report.errors == [] and report.counts.new == 3
    pool = await categorised_store.candidate_articles(published_since=NOW - WINDOW)
    assert by_url(pool) == {
        "https://cms.example/1": "vi",
        "https://cms.example/2": "en",
        "https://cms.example/3": None,
    }


def _record(n: int) -> dict[str, object]:
    return {
        "url": f"https://cms.example/{n}",
        "title": f"The city opens a new library in district {n}",
        "category": "climate",
        "source": "Desk",
        "published_at": (NOW - timedelta(hours=1)).isoformat(),
    }
