from __future__ import annotations

import json
from datetime import timedelta

import pytest

from digests.ingest.importer import RecordError, import_records, read_records, validate_record
from digests.store import Store
from tests.conftest import NOW


def record(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "url": "https://cms.example/a?utm_source=x",
        "title": "Solar now cheapest power",
        "summary": "<p>An annual survey found solar beats gas.</p>",
        "category": "climate",
        "source": "Climate Desk",
        "published_at": "2026-11-27T08:00:00Z",
    }
    base.update(overrides)
    return base


def test_json_lines_are_numbered_by_line_and_bad_json_is_reported() -> None:
    text = json.dumps(record()) + "\n\n{not json\n" + json.dumps(record(url="https://c/b"))
    records = read_records(text)
    assert [n for n, _ in records] == [1, 3, 4]
    assert isinstance(records[1][1], RecordError)


def test_a_json_array_and_a_single_pretty_object() -> None:
    assert [n for n, _ in read_records(json.dumps([record(), record()]))] == [1, 2]
    assert len(read_records(json.dumps(record(), indent=2))) == 1
    assert isinstance(read_records("[1, 2")[0][1], RecordError)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"url": None}, "missing field: url"),
        ({"title": 5}, "title must be a string"),
        ({"category": "sports"}, "unknown category"),
        ({"url": "ftp://x/y"}, "url: not an http"),
        ({"published_at": "last tuesday"}, "published_at"),
        ({"title": "<b></b>"}, "title is empty"),
        ({"image": "nope"}, "image"),
        # Pictures digests would never show (issue 18) are refused, not stored.
        ({"image": "http://127.0.0.1/a.jpg"}, "image: not a public http"),
        ({"image": "javascript:alert(1)"}, "image: not a public http"),
        ({"image": "https://img.example/" + "a" * 2_100}, "image"),
    ],
)
def test_validation_errors_say_what_is_wrong(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(RecordError, match=message):
        validate_record(record(**overrides), categories=["climate"], now=NOW)
    with pytest.raises(RecordError, match="expected a JSON object"):
        validate_record([1], categories=["climate"], now=NOW)


async def test_good_records_are_kept_and_bad_ones_reported(categorised_store: Store) -> None:
    lines = [
        json.dumps(record()),
        json.dumps(record(category="sports")),
        "garbage",
        json.dumps(
            record(
                url="https://cms.example/b",
                title="Heat pumps overtake boilers",
                guid="cms-2",
                author="A. Writer",
            )
        ),
    ]
    report = await import_records(
        categorised_store, read_records("\n".join(lines)), now=NOW, story_window=timedelta(hours=48)
    )
    assert report.counts.new == 2
    assert [n for n, _ in report.errors] == [2, 3]
    articles = await categorised_store.candidate_articles(published_since=NOW - timedelta(1))
    assert {a.url for a in articles} == {"https://cms.example/a", "https://cms.example/b"}
    assert all(a.categories == ("climate",) and a.source == "Climate Desk" for a in articles)
    again = await import_records(
        categorised_store, read_records("\n".join(lines)), now=NOW, story_window=timedelta(hours=48)
    )
    assert again.counts.new == 0 and again.counts.unchanged == 2
