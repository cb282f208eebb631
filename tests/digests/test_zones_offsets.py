"""Issue 19 item 10: time zones as readers type them. ``UTC`` stays ``UTC``; tzdata's
zones without a slash (``EST5EDT``) are accepted; an offset (``UTC+7``, ``GMT+7``) is
answered with the zones at that offset today and why ``Etc/GMT+7`` is not it, while
``Etc/GMT-7`` typed on purpose stays accepted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from digests import actions
from digests.store import Store
from digests.zones import offset_zones, resolve_zone, zone_choices
from tests.conftest import NOW

SLASH = actions.Spelling()
JULY = datetime(2026, 7, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("EST5EDT", "EST5EDT"),
        ("cst6cdt", "CST6CDT"),
        ("Etc/GMT-7", "Etc/GMT-7"),
        ("Etc/GMT+7", "Etc/GMT+7"),
        ("Asia/Saigon", "Asia/Ho_Chi_Minh"),
    ],
)
def test_names_accepted(typed: str, zone: str) -> None:
    assert resolve_zone(typed) == (zone, [])


@pytest.mark.parametrize("typed", ["UTC+7", "GMT+7", "utc +07:00", "+7", "GMT+0700"])
def test_an_offset_offers_the_zones_at_that_offset_today(typed: str) -> None:
    found = offset_zones(typed, NOW)
    assert found is not None
    assert found.label == "UTC+07:00" and found.etc == "Etc/GMT-7"
    assert found.zones[:2] == ["Asia/Ho_Chi_Minh", "Asia/Bangkok"]
    assert "Etc/GMT+7" not in found.zones


def test_offsets_follow_daylight_saving_and_half_hours() -> None:
    assert "America/New_York" in offset_zones("UTC-5", NOW).zones  # November: EST
    assert "America/New_York" in offset_zones("GMT-4", JULY).zones  # July: EDT
    assert offset_zones("UTC+5:30", NOW).zones[0] == "Asia/Kolkata"
    assert offset_zones("UTC+5:30", NOW).etc is None
    assert offset_zones("UTC+15", NOW) is None
    assert offset_zones("Europe/London", NOW) is None


def test_autocomplete_offers_zones_for_an_offset() -> None:
    assert zone_choices("GMT+7", now=NOW)[:2] == ["Asia/Ho_Chi_Minh", "Asia/Bangkok"]


async def test_set_timezone_explains_an_offset_and_keeps_etc_names(store: Store) -> None:
    sub = await store.upsert_subscriber("telegram", "1", now=NOW)
    reply = await actions.set_timezone(store, sub, ["GMT+7"], now=NOW, spelling=SLASH, by="t:1")
    assert reply.startswith("UTC+07:00 is an offset, not a time zone.")
    assert "Asia/Ho_Chi_Minh" in reply
    assert "(Etc/GMT-7 also means UTC+07:00: the sign of Etc/GMT names is inverted.)" in reply
    assert (await store.get_subscriber(sub.id)).timezone == "UTC"
    reply = await actions.set_timezone(store, sub, ["Etc/GMT-7"], now=NOW, spelling=SLASH, by="t:1")
    assert reply.startswith("Time zone set to Etc/GMT-7")
    reply = await actions.set_timezone(store, sub, ["EST5EDT"], now=NOW, spelling=SLASH, by="t:1")
    assert reply.startswith("Time zone set to EST5EDT")
    reply = await actions.set_timezone(store, sub, ["UTC"], now=NOW, spelling=SLASH, by="t:1")
    assert reply == "Time zone set to UTC; your digest comes at 08:00 there."
