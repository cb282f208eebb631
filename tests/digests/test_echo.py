"""Tests for digests.echo: what a reply quotes back of a member's input."""

from __future__ import annotations

import pytest

from digests.echo import EXCERPT_CHARS, excerpt, excerpts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Asia/Hanoy", "Asia/Hanoy"),
        ("a\u202eb\u2066c", "abc"),  # bidi override and isolate removed
        ("one\ntwo\t three", "one two three"),  # a newline cannot forge a second line
        ("x\x1b[31my", "x[31my"),  # no terminal or control escape survives
        ("bad\ud800surrogate", "badsurrogate"),
        ("", ""),
    ],
)
def test_excerpt_removes_what_could_forge_or_reorder_a_reply(text: str, expected: str) -> None:
    assert excerpt(text) == expected


def test_a_long_argument_is_cut_and_says_so() -> None:
    quoted = excerpt("9" * 5000)
    assert len(quoted) == EXCERPT_CHARS
    assert quoted.endswith("…")
    assert excerpt("abcdef", limit=4) == "abc…"


def test_excerpts_remove_duplicates_and_cap_the_count() -> None:
    assert excerpts(["climate"] * 500) == "climate"
    assert excerpts([f"c{i}" for i in range(9)], count=3) == "c0, c1, c2, …"
