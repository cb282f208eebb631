"""digests.language: declared tags normalised or refused, and a detector that gives a code
or None for any text, never an error."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digests import language
from digests.language import (
    MAX_DETECT_CHARS,
    article_language,
    declared_language,
    detect_language,
    first_declared,
)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", "en"),
        ("en-US", "en"),
        (" vi_VN ", "vi"),
        ("zh-Hant-TW", "zh"),
        ("VI", "vi"),
        ("fil", "fil"),
        ("x-klingon", None),
        ("i-navajo", None),
        ("und", None),
        ("mul", None),
        ("zxx", None),
        ("qaa", None),
        ("english", None),
        ("en US", None),
        ("en,fr", None),
        ("", None),
        (None, None),
        (42, None),
        ("e" * 2 + "-" + "a" * 40, None),  # longer than 35 characters
        ("1" * 5000, None),
        ("\ud800", None),
        ("en\u202e", None),
        ("en\x00", None),
    ],
)
def test_declared_language(tag: object, expected: str | None) -> None:
    assert declared_language(tag) == expected


def test_first_declared_skips_what_is_no_tag() -> None:
    assert first_declared([None, "x-klingon", "vi-VN", "en"]) == "vi"
    assert first_declared([None, "garbage!"]) is None


def test_article_language_prefers_a_declaration_to_the_text() -> None:
    text = "The government announced a new plan for public transport on Monday."
    assert article_language(["vi"], text) == "vi"
    assert article_language([None, "und"], text) == "en"
    assert article_language([], "OK") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The government announced a new plan for public transport on Monday.", "en"),
        ("Chính phủ công bố kế hoạch mới cho giao thông công cộng vào thứ Hai.", "vi"),
        ("Short", None),
        ("   \n\t   ", None),
        ("", None),
    ],
)
def test_detect_language(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "\ud800" * 50,
        "abc \udfff def ghi jkl mno \ud83d pqr",
        "\x00" * 100,
        "\u202e\u2066\u200f" * 30 + "hello world and more words",
        "\U0001f600" * 200,
        "The news today. " * 700_000,  # about 11 MB
    ],
)
def test_detect_language_never_raises(text: str) -> None:
    found = detect_language(text)
    assert found is None or (found.isascii() and found.islower() and 2 <= len(found) <= 3)


def test_a_long_text_is_cut_before_the_identifier_sees_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []

    class Recording:
        def classify(self, text: str) -> tuple[str, float]:
            seen.append(text)
            return "en", 1.0

    monkeypatch.setattr(language, "_identifier", Recording)
    assert detect_language("Words \ud800 and more words. " * 10_000) == "en"
    assert len(seen[0]) <= MAX_DETECT_CHARS
    assert "\ud800" not in seen[0]
    seen[0].encode("utf-8")  # what py3langid does with it


def test_an_unsure_or_odd_guess_is_no_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([("en", 0.2), ("und", 0.9), ("vi", 0.9)])

    class Scripted:
        def classify(self, text: str) -> tuple[str, float]:
            return next(answers)

    monkeypatch.setattr(language, "_identifier", Scripted)
    text = "Enough text to be worth a guess."
    assert [detect_language(text) for _ in range(3)] == [None, None, "vi"]


def test_the_identifier_is_loaded_once() -> None:
    language.load_detector()
    assert language.detector_loaded()
    first = language._identifier()
    assert language._identifier() is first


@settings(max_examples=150, deadline=None)
@given(st.text(st.characters(exclude_categories=()), max_size=300))
def test_any_text_gives_a_code_or_none(text: str) -> None:
    found = detect_language(text)
    assert found is None or declared_language(found) == found


@settings(max_examples=150, deadline=None)
@given(st.text(st.characters(exclude_categories=()), max_size=50))
def test_any_tag_gives_a_code_or_none(tag: str) -> None:
    found = declared_language(tag)
    assert found is None or (found.isascii() and found.isalpha() and found.islower())
