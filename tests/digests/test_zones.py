"""Time zone choices for an autocomplete box."""

from __future__ import annotations

import pytest

from digests.zones import COMMON_ZONES, zone_choices


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("", "UTC"),
        ("asia/ho", "Asia/Ho_Chi_Minh"),
        ("Ho Chi", "Asia/Ho_Chi_Minh"),  # a place name, spaces as typed
        ("london", "Europe/London"),
        ("Lndon", "Europe/London"),  # a typo falls back to close matches
    ],
)
def test_zone_choices(typed: str, first: str) -> None:
    assert zone_choices(typed)[0] == first


def test_choices_are_capped_and_ordered_prefix_first() -> None:
    assert zone_choices("", limit=3) == list(COMMON_ZONES[:3])
    found = zone_choices("america/new", limit=25)
    assert found[0] == "America/New_York" and len(found) <= 25
    assert len(zone_choices("a")) == 25
    assert zone_choices("zzzzzz") == []
