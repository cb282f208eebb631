"""'Did you mean' for mistyped category slugs."""

from __future__ import annotations

from digests.suggest import close_matches, did_you_mean, unknown_categories

KNOWN = ["ai-frontier", "climate", "world-news", "business"]


def test_close_names_are_suggested_and_far_ones_are_not() -> None:
    assert close_matches("climat", KNOWN) == ["climate"]
    assert close_matches("Climate", KNOWN) == ["climate"]
    assert did_you_mean("buisness", KNOWN) == " (did you mean 'business'?)"
    assert did_you_mean("sports", KNOWN) == ""
    assert did_you_mean("x" * 5000, KNOWN) == ""
    assert close_matches("climate", []) == []


def test_unknown_categories_message() -> None:
    assert unknown_categories(["climate"], KNOWN) is None
    assert unknown_categories(["clmate"], KNOWN) == (
        "unknown category: 'clmate' (did you mean 'climate'?)"
    )
    assert unknown_categories(["climat", "sprts"], KNOWN) == (
        "unknown categories: 'climat' (did you mean 'climate'?), 'sprts'"
    )
    message = unknown_categories(["\x1b[2J" + "y" * 500], KNOWN)
    assert message is not None and "\x1b" not in message and len(message) < 120
