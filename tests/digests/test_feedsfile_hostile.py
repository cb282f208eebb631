"""Hostile feeds files (red-team findings 3 and 4): category names and descriptions
refuse control and bidi characters like feed names do, and nesting deep enough to exhaust
tomllib's recursion is one FeedsFileError, not a RecursionError."""

from __future__ import annotations

import pytest

from digests.feedsfile import FeedsFileError, parse_feeds_text

FEED = '\n[[feeds]]\nurl="https://x.example/f"\ncategory="climate"\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('name="C\\u001b[2J\\u202eX"', r"categories\.climate: name contains .*U\+001B"),
        ('name="Climate\\u202e"', r"categories\.climate: name contains .*U\+202E"),
        ('description="news\\u2066"', r"categories\.climate: description contains .*U\+2066"),
        ('description="a\\nb"', r"description contains .*U\+000A"),
        ('name="' + "n" * 301 + '"', "name is too long"),
        ('description="' + "d" * 1001 + '"', "description is too long"),
    ],
)
def test_category_texts_refuse_control_and_bidi_characters(body: str, message: str) -> None:
    with pytest.raises(FeedsFileError, match=message) as caught:
        parse_feeds_text(f"[categories.climate]\n{body}\n{FEED}")
    # The category stays declared: its feed is not reported as unknown on top.
    assert "unknown category" not in str(caught.value)


def test_plain_category_texts_still_parse() -> None:
    config = parse_feeds_text(
        '[categories.climate]\nname="Climat & énergie"\n'
        f'description="Le climat — chaque jour"\n{FEED}'
    )
    assert config.categories[0].name == "Climat & énergie"
    assert config.categories[0].description == "Le climat — chaque jour"


@pytest.mark.parametrize(
    "text",
    ["a = " + "[" * 5000 + "]" * 5000, "a = " + "{b=" * 3000 + "1" + "}" * 3000],
    ids=["arrays", "inline-tables"],
)
def test_deep_nesting_is_one_error(text: str) -> None:
    with pytest.raises(FeedsFileError, match="nested too deeply"):
        parse_feeds_text(text)
