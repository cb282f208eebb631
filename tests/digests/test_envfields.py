"""The declaration mechanism of settings: kinds parse and show values, bounds become words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digests.envfields import (
    MAX_NUMBER,
    Decimal,
    Flag,
    Ids,
    Kind,
    SettingsError,
    Spec,
    Text,
    Whole,
    bounds_note,
)


@pytest.mark.parametrize(
    ("kind", "note"),
    [
        (Whole(minimum=1, maximum=60, unit=timedelta(seconds=1)), "1-60"),
        (Whole(minimum=1024), "at least 1024"),
        (Whole(), ""),
        (Whole(maximum=100_000, zero_is_none=True), "0-100000"),
        (Decimal(minimum=0.1, maximum=15), "0.1-15, decimals allowed"),
        (Decimal(minimum=0.1), "at least 0.1, decimals allowed"),
        (Flag(), ""),
        (Text(r"\d+", must="must be digits"), ""),
    ],
)
def test_bounds_are_written_from_the_declaration(kind: Kind, note: str) -> None:
    assert bounds_note(kind) == note
    described = Spec("NAME", kind, "What it does", "s").described()
    assert described == (f"What it does ({note})" if note else "What it does")


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        (Whole(unit=timedelta(hours=1)), "6", timedelta(hours=6)),
        (Whole(maximum=10, zero_is_none=True), "0", None),
        (Whole(), "+7", 7),
        (Decimal(minimum=0.1), ".5", 0.5),
        (Flag(), "ON", True),
        (Ids(), "3;1, 2", frozenset({1, 2, 3})),
    ],
)
def test_kinds_parse_and_show(kind: Kind, text: str, value: object) -> None:
    parsed = kind.parse("NAME", text)
    assert parsed == value
    if value is not None:
        assert kind.parse("NAME", kind.show(parsed)) == value


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (Whole(maximum=MAX_NUMBER), "9" * 5000, "NAME must be at most 1000000000, got '999"),
        (Whole(minimum=1), "-" + "9" * 5000, "NAME must be at least 1, got '-99"),
        (Whole(), "1_000", "NAME must be a whole number, got '1_000'"),
        (Decimal(minimum=0.1), "1e400", "NAME must be a number such as 2.5, got '1e400'"),
        (Text(r"\d{4,}", must="must be 4 digits or more", secret=True), "12", "or more$"),
    ],
)
def test_bad_text_is_one_line_naming_the_setting(kind: Kind, text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        kind.parse("NAME", text)
    assert len(str(caught.value)) < 120


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,,2", "NAME has an empty item between commas, got '1,,2'"),
        ("1;", "NAME has an empty item"),
        ("1,-3", r"NAME must be comma-separated user ids \(whole numbers from 1\), got '-3'"),
        ("0", "got '0'"),
        (str(2**64), "NAME must be comma-separated"),
    ],
)
def test_ids_are_positive_and_every_item_is_one(text: str, message: str) -> None:
    """Red-team 16: "1,,2,-3" used to pass as {1, 2, -3}; user and server ids are from 1."""
    with pytest.raises(SettingsError, match=message) as caught:
        Ids().parse("NAME", text)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 120
