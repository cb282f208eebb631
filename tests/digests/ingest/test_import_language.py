"""An imported record's optional ``language``: a language tag is kept (normalised), none
is detected from the text, anything else is a one-line refusal of that record."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digests.ingest.importer import RecordError, import_records, read_records, validate_record
from digests.store import Store
from tests.conftest import NOW


def record(**fields: object) -> dict[str, object]:
    return {
        "url": "https://cms.example/a",
        "title": "The museum reopens after two years of repairs",
        "summary": "Visitors can see the restored halls from Saturday.",
        "category": "climate",
        "source": "Desk",
        "published_at": "2026-11-27T10:00:00Z",
        **fields,
    }


def language(**fields: object) -> str | None:
    return validate_record(record(**fields), categories=["climate"], now=NOW).article.language


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("vi", "vi"),
        ("vi-VN", "vi"),
        ("EN-gb", "en"),
        ("  en  ", "en"),
        (None, "en"),  # detected from the title and summary
        ("", "en"),
        ("   ", "en"),
    ],
)
def test_a_language_tag_or_none(given: object, expected: str) -> None:
    assert language(language=given) == expected


def test_without_the_field_the_text_decides() -> None:
    vietnamese = record(
        title="Bảo tàng mở cửa trở lại sau hai năm sửa chữa",
        summary="Du khách có thể tham quan các gian phòng đã được phục hồi từ thứ Bảy.",
    )
    assert validate_record(vietnamese, categories=["climate"], now=NOW).article.language == "vi"
    short = record(title="Ok", summary="")
    assert validate_record(short, categories=["climate"], now=NOW).article.language is None


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("x-klingon", "language: 'x-klingon' is not a language tag"),
        ("und", "language: 'und' is not a language tag"),
        ("english", "language: 'english' is not a language tag"),
        ("1" * 5000, "language is too long (5000 characters; at most 35)"),
        ("e" * 36, "language is too long (36 characters; at most 35)"),
        ("en\u202e", "language contains a control or bidi character (U+202E)"),
        ("\u2066vi", "language contains a control or bidi character (U+2066)"),
        ("en\x00", "language contains a control or bidi character (U+0000)"),
        ("en\n", "language contains a control or bidi character (U+000A)"),
        (42, "language must be a string, got int"),
        (1.5, "language must be a string, got float"),
        (["en"], "language must be a string, got list"),
        ({"tag": "en"}, "language must be a string, got dict"),
        (True, "language must be a string, got bool"),
    ],
)
def test_a_bad_language_is_a_one_line_refusal(given: object, message: str) -> None:
    with pytest.raises(RecordError) as caught:
        language(language=given)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


def test_a_lone_surrogate_in_the_language_is_refused() -> None:
    with pytest.raises(RecordError, match="lone surrogate"):
        language(language="e\ud800")


async def test_the_import_reports_a_bad_language_by_line_and_keeps_the_rest(
    categorised_store: Store,
) -> None:
    text = "\n".join(
        [
            '{"url": "https://cms.example/1", "title": "Harbour works finish early today", '
            '"category": "climate", "source": "Desk", "published_at": "2026-11-27T10:00:00Z", '
            '"language": "vi"}',
            '{"url": "https://cms.example/2", "title": "Harbour works finish late today", '
            '"category": "climate", "source": "Desk", "published_at": "2026-11-27T10:00:00Z", '
            '"language": "' + "9" * 5000 + '"}',
            '{"url": "https://cms.example/3", "title": "Harbour works", "category": "climate", '
            '"source": "Desk", "published_at": "2026-11-27T10:00:00Z", "language": "\\ud800"}',
            '{"url": "https://cms.example/4", "title": "Harbour", "category": "climate", '
            '"source": "Desk", "published_at": "2026-11-27T10:00:00Z", "language": '
            + "7" * 5000
            + "}",
        ]
    )
    report = await import_records(
        categorised_store, read_records(text), now=NOW, story_window=timedelta(hours=36)
    )
    assert report.counts.new == 1
    assert [number for number, _ in report.errors] == [2, 3, 4]
    assert [message for _, message in report.errors] == [
        "language is too long (5000 characters; at most 35)",
        "text contains a lone surrogate (invalid Unicode)",
        "number too long (5000 digits)",
    ]
