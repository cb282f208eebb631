"""Import under hostile input (issue 10, item 7): each bad line is rejected with its number
and the good ones are kept; the file is read as a stream, in bounded memory."""

from __future__ import annotations

import io
import json
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest

from digests.ingest import importer
from digests.ingest.importer import (
    MAX_LINE_BYTES,
    ImportFileError,
    RecordError,
    import_records,
    iter_records,
    read_records,
    validate_record,
)
from digests.store import Store
from tests.conftest import NOW


def record(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "url": "https://cms.example/a",
        "title": "Solar now cheapest power",
        "category": "climate",
        "source": "Climate Desk",
        "published_at": "2026-11-27T08:00:00Z",
    }
    base.update(overrides)
    return base


def line(**overrides: object) -> str:
    return json.dumps(record(**overrides))


HOSTILE_LINES = {
    "overflowing date": (
        line(url="https://cms.example/d", published_at="9999-12-31T23:00:00-05:00"),
        "published_at: date out of range",
    ),
    "lone surrogate": (
        '{"url": "https://cms.example/s", "title": "\\ud800 broken", "category": "climate", '
        '"source": "S", "published_at": "2026-11-27T08:00:00Z"}',
        "lone surrogate",
    ),
    "50,000-deep nesting": ('{"url": ' + "[" * 50_000 + "]" * 50_000 + "}", "nested deeper"),
    "5,000-digit number": ('{"url": "https://cms.example/n", "n": ' + "9" * 5000 + "}", "number"),
    "ANSI escape in the URL": (line(url="https://cms.example/\u001b[2J"), "control or bidi"),
    "bidi override in the guid": (line(guid="abc\u202egnp.exe"), "guid contains"),
    "not UTF-8": ('{"title": "caf\xe9"}', "not UTF-8"),
}


def hostile_file() -> bytes:
    lines = [line(url="https://cms.example/good-1").encode()]
    for text, _ in HOSTILE_LINES.values():
        lines.append(text.encode("latin-1") if "caf\xe9" in text else text.encode())
    lines.append(line(url="https://cms.example/good-2", title="Heat pumps overtake").encode())
    return b"\n".join(lines) + b"\n"


async def test_each_hostile_line_is_rejected_by_number_and_good_lines_are_kept(
    categorised_store: Store,
) -> None:
    report = await import_records(
        categorised_store,
        iter_records(io.BytesIO(hostile_file())),
        now=NOW,
        story_window=timedelta(hours=48),
    )
    assert report.counts.new == 2
    assert [n for n, _ in report.errors] == list(range(2, 2 + len(HOSTILE_LINES)))
    for (number, message), (name, (_, expected)) in zip(
        report.errors, HOSTILE_LINES.items(), strict=True
    ):
        assert expected in message, (number, name, message)
        assert "\n" not in message and len(message) < 200, name
    urls = {
        a.url
        for a in await categorised_store.candidate_articles(published_since=NOW - timedelta(1))
    }
    assert urls == {"https://cms.example/good-1", "https://cms.example/good-2"}


def test_a_line_over_the_cap_is_rejected_without_losing_its_neighbours() -> None:
    huge = b'{"title": "' + b"x" * (MAX_LINE_BYTES + 10) + b'"}'
    data = line().encode() + b"\n" + huge + b"\n" + line(url="https://c.example/b").encode()
    records = list(iter_records(io.BytesIO(data)))
    assert [n for n, _ in records] == [1, 2, 3]
    assert isinstance(records[1][1], RecordError) and "longer than 1 MB" in str(records[1][1])
    assert records[2][1]["url"] == "https://c.example/b"


def _peak_while_reading(path: Path) -> int:
    tracemalloc.start()
    try:
        with path.open("rb") as handle:
            try:
                for _ in iter_records(handle):
                    pass
            except ImportFileError:
                pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("opening", [b'{"title": "', b'[{"title": "'])
def test_a_huge_single_line_file_is_read_in_bounded_memory(tmp_path: Path, opening: bytes) -> None:
    # 40 MB on one line (the case was 100 MB and took 1.9 GB); reading it must hold
    # at most one capped line or the array cap, not the file.
    path = tmp_path / "one-line.json"
    with path.open("wb") as handle:
        handle.write(opening)
        chunk = b"x" * (1 << 20)
        for _ in range(40):
            handle.write(chunk)
        handle.write(b'"}' + (b"]" if opening.startswith(b"[") else b""))
    peak = _peak_while_reading(path)
    assert peak < importer.MAX_DOCUMENT_BYTES + (4 << 20)
    if opening.startswith(b"{"):
        assert peak < 4 << 20  # JSON Lines: one line at most


def test_a_json_array_over_the_cap_is_refused_with_a_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importer, "MAX_DOCUMENT_BYTES", 1000)
    data = json.dumps([record(url=f"https://c.example/{i}") for i in range(20)]).encode()
    with pytest.raises(ImportFileError, match="export JSON Lines"):
        list(iter_records(io.BytesIO(data)))
    small = json.dumps([record()]).encode()
    assert [n for n, _ in iter_records(io.BytesIO(small))] == [1]


def test_array_items_are_checked_one_by_one() -> None:
    text = json.dumps([record(), {"deep": [[[[[[]]]]]]}, record(title="\ud800")])
    text = text.replace("[[[[[[]]]]]]", "[" * 100 + "]" * 100)
    records = read_records(text)
    assert records[0][1]["title"] == "Solar now cheapest power"
    assert isinstance(records[1][1], RecordError) and "nested deeper" in str(records[1][1])
    assert isinstance(records[2][1], RecordError) and "surrogate" in str(records[2][1])


def test_a_pretty_printed_object_and_a_bad_first_line() -> None:
    assert [n for n, _ in read_records(json.dumps(record(), indent=2))] == [1]
    text = "{oops\n" + line() + "\n"
    records = read_records(text)
    assert [n for n, _ in records] == [1, 2]
    assert isinstance(records[0][1], RecordError) and records[1][1]["title"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"published_at": "9999-12-31T23:00:00-05:00"}, "published_at: date out of range"),
        ({"published_at": "0001-01-01T00:00:00+05:00"}, "published_at: date out of range"),
        ({"title": "ok \ud800"}, "lone surrogate"),
        ({"extra": json.loads("[" * 80 + "]" * 80)}, "nested deeper"),
        (
            {"url": "https://cms.example/\x1b[31m"},
            r"url contains a control or bidi character \(U\+001B\)",
        ),
        ({"image": "https://cms.example/\u202eimg.png"}, r"image contains .* \(U\+202E\)"),
        ({"category": "climate\u2066"}, "category contains"),
        ({"source": "S" * 301}, "source is too long"),
        ({"title": "T" * 2001}, "title is too long"),
        ({"category": "climat"}, "unknown category: 'climat' \\(did you mean 'climate'\\?\\)"),
        ({"category": "x" * 100}, "unknown category: 'xxxxxxxx"),
    ],
)
def test_validate_record_refuses_hostile_values_in_one_line(
    overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(RecordError, match=message) as caught:
        validate_record(record(**overrides), categories=["climate"], now=NOW)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


async def test_a_long_file_is_stored_in_batches_with_nothing_lost(
    categorised_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "IMPORT_BATCH", 2)
    lines = [line(url=f"https://cms.example/{i}", title=f"Story number {i}") for i in range(5)]
    lines.insert(3, "not json")
    lines.append(line(url="https://cms.example/1", title="Story number 1"))  # a repeat
    data = ("\n".join(lines) + "\n").encode()
    report = await import_records(
        categorised_store, iter_records(io.BytesIO(data)), now=NOW, story_window=timedelta(1)
    )
    assert (report.counts.new, report.counts.unchanged, report.rejected) == (5, 1, 1)
    assert report.errors == [(4, report.errors[0][1])]
    stored = await categorised_store.candidate_articles(published_since=NOW - timedelta(1))
    assert sorted(a.url for a in stored) == [f"https://cms.example/{i}" for i in range(5)]


async def test_only_the_first_rejections_are_kept_but_all_are_counted(
    categorised_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "MAX_REPORTED_ERRORS", 3)
    data = b"x\n" * 10 + line().encode()
    report = await import_records(
        categorised_store, iter_records(io.BytesIO(data)), now=NOW, story_window=timedelta(1)
    )
    assert report.rejected == 10 and [n for n, _ in report.errors] == [1, 2, 3]
    assert report.counts.new == 1
