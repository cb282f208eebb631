"""An answer must hold words: braille blanks, emoji or digits alone pass a character count
but show every reader of the language a blank or emoji story."""

from __future__ import annotations

import json

import pytest

from digests.summaries.check import check_output
from tests.digests.summaries.stories import summary_input

VI = "Ngân hàng trung ương đã tăng lãi suất thêm nửa điểm phần trăm vào thứ Ba do lạm phát."


@pytest.mark.parametrize(
    "summary",
    [
        "\u2800" * 40,  # braille blanks: an empty-looking summary
        "\U0001f525" * 30,  # emoji only
        "1234567890 " * 3,  # digits only
        "\u3000" * 5 + "\u2800" * 30,
        "Rates 12345 67890 12345 67890",  # five letters
    ],
)
def test_an_answer_without_enough_letters_is_too_short(summary: str) -> None:
    assert check_output(json.dumps({"summary": summary}), summary_input()).reason == "too_short"


@pytest.mark.parametrize("title", ["\u2800\u2800\u2800", "\U0001f525\U0001f525\U0001f525", "2026"])
def test_a_title_without_a_letter_is_too_short(title: str) -> None:
    text = json.dumps({"summary": VI, "title": title}, ensure_ascii=False)
    assert check_output(text, summary_input("vi", "en")).reason == "too_short"


def test_a_short_answer_of_words_passes() -> None:
    text = json.dumps({"summary": VI, "title": "G7 họp"}, ensure_ascii=False)
    assert check_output(text, summary_input("vi", "en")).ok
