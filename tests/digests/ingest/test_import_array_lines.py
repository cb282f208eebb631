"""A JSON array on one line of a JSON Lines file (red-team finding 14): its records are
imported one by one and a bad one is rejected as "line N, item M", instead of the whole
line being rejected as "expected a JSON object" and its good records lost."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from digests.ingest.importer import import_records, iter_records
from digests.store import Store
from tests.conftest import NOW


def record(slug: str, **overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "url": f"https://cms.example/{slug}",
        "title": f"Story {slug}",
        "category": "climate",
        "source": "Climate Desk",
        "published_at": "2026-11-27T08:00:00Z",
    }
    base.update(overrides)
    return base


async def run(store: Store, data: bytes):  # type: ignore[no-untyped-def]
    return await import_records(
        store, iter_records(io.BytesIO(data)), now=NOW, story_window=timedelta(hours=48)
    )


async def test_an_array_line_among_object_lines_gives_each_record(
    categorised_store: Store,
) -> None:
    lines = [
        json.dumps(record("a")),
        json.dumps(record("b")),
        json.dumps([record("c"), record("d", title=""), record("e"), 5]),
        json.dumps([record("f", title="\ud800 broken"), record("g")]),
        "[]",
        json.dumps(record("h")),
    ]
    report = await run(categorised_store, "\n".join(lines).encode("utf-8", "surrogatepass"))
    assert report.counts.new == 6  # a, b, c, e, g, h
    assert [number for number, _ in report.errors] == ["3, item 2", "3, item 4", "4, item 1"]
    messages = dict(report.errors)
    assert "title" in messages["3, item 2"]
    assert messages["3, item 4"] == "expected a JSON object"
    assert "lone surrogate" in messages["4, item 1"]
    for slug in "abceg h".replace(" ", ""):
        assert await categorised_store.find_article_by_url(f"https://cms.example/{slug}")


async def test_a_file_whose_first_line_is_an_array_is_json_lines(
    categorised_store: Store,
) -> None:
    data = (
        json.dumps([record("a"), record("b", url="ftp://x")])
        + "\n"
        + json.dumps(record("c"))
        + "\n"
    )
    report = await run(categorised_store, data.encode())
    assert report.counts.new == 2
    assert [number for number, _ in report.errors] == ["1, item 2"]


async def test_a_whole_array_document_is_still_numbered_by_position(
    categorised_store: Store,
) -> None:
    pretty = json.dumps([record("a"), record("b", url="ftp://x")], indent=2)
    one_line = json.dumps([record("c"), record("d", url="ftp://x")]) + "\n"
    for data in (pretty, one_line):
        report = await run(categorised_store, data.encode())
        assert [number for number, _ in report.errors] == [2]
