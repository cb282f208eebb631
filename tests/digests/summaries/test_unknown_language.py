"""A story whose language is unknown (no declaration, py3langid unsure: a short headline
full of names) is no translation: the summary is asked in the reader's language, the
title stays the source's; only a known other language is translated."""

from __future__ import annotations

import pytest

from digests.language import article_language
from tests.digests.summaries.stories import article, input_of

HEADLINES = ["Apple unveils iPhone 17 Pro Max", "Elon Musk xAI Grok 3", "OpenAI GPT-5 launch"]


@pytest.mark.parametrize("headline", HEADLINES)
def test_an_english_headline_too_short_to_tell_is_not_translated_for_english_readers(
    headline: str,
) -> None:
    assert article_language([], headline) is None  # what ingest stores: unknown
    summary_input = input_of(article(1, title=headline, summary="", language=None), language="en")
    assert not summary_input.translate


def test_a_known_other_language_is_still_translated() -> None:
    vietnamese = article(1, title="Giá vàng hôm nay tăng mạnh", summary="", language="vi")
    assert input_of(vietnamese, language="en").translate
