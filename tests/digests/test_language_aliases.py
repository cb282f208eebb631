"""A declared language is stored as its ISO 639-1 code (``eng`` → ``en``, ``iw`` → ``he``), so a
story declared ``eng`` is English to English readers, not "translated" for them."""

from __future__ import annotations

import pytest

from digests.language import declared_language
from tests.digests.summaries.stories import article, input_of


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("eng", "en"),
        ("ENG", "en"),
        ("vie", "vi"),
        ("vie-VN", "vi"),
        ("fra", "fr"),
        ("fre", "fr"),
        ("deu", "de"),
        ("iw", "he"),
        ("in", "id"),
        ("ji", "yi"),
        # Unchanged: already ISO 639-1, or three-letter codes with no two-letter form.
        ("en", "en"),
        ("he", "he"),
        ("zh-Hant-TW", "zh"),
        ("fil", "fil"),
    ],
)
def test_a_declared_tag_is_stored_as_its_iso_639_1_code(tag: str, expected: str) -> None:
    assert declared_language(tag) == expected


@pytest.mark.parametrize("declared", ["eng", "ENG-us"])
def test_an_english_story_declared_eng_is_not_translated_for_english_readers(
    declared: str,
) -> None:
    summary_input = input_of(article(1, language=declared), language="en")
    assert summary_input.source_language == "en"
    assert not summary_input.translate
