"""Subscriber actions against a real store: validation, replies, and nothing changed on errors."""

from __future__ import annotations

import pytest

from digests import actions
from digests.models import Frequency, Subscriber
from digests.store import Store
from digests.zones import resolve_zone
from tests.conftest import NOW

# Telegram's way: a slash and the command's name, its arguments as words after it.
SLASH = actions.Spelling()


async def reader(store: Store, language: str = "en") -> Subscriber:
    sub = await store.upsert_subscriber("telegram", "1", now=NOW, language=language)
    return await store.get_subscriber(sub.id)


async def reload(store: Store, sub: Subscriber) -> Subscriber:
    return await store.get_subscriber(sub.id)


async def test_subscribe_unsubscribe_and_describe(categorised_store: Store) -> None:
    store = categorised_store
    sub = await reader(store)
    reply = await actions.subscribe(store, sub, ["climate,", "Markets"], now=NOW, spelling=SLASH)
    assert reply == "Subscribed to Climate, Markets."
    sub = await reload(store, sub)
    assert sub.categories == ("climate", "markets")
    bad = await actions.subscribe(store, sub, ["sports"], now=NOW, spelling=SLASH)
    assert "Unknown category: sports" in bad and "ai-frontier" in bad
    assert (await reload(store, sub)).categories == ("climate", "markets")
    assert "You are not subscribed to: ai-frontier" in await actions.unsubscribe(
        store, sub, ["ai-frontier"], now=NOW, spelling=SLASH
    )
    text = await actions.describe(store, await reload(store, sub), spelling=SLASH)
    assert "• Climate" in text and "Digest at 08:00 (UTC), every day." in text
    assert "2 categories" in await actions.unsubscribe(store, sub, ["all"], now=NOW, spelling=SLASH)
    assert "no subscriptions yet" in await actions.describe(
        store, await reload(store, sub), spelling=SLASH
    )


async def test_toggles(categorised_store: Store) -> None:
    store = categorised_store
    sub = await reader(store)
    assert await actions.toggle(store, sub, "climate", now=NOW) == "Subscribed to Climate."
    sub = await reload(store, sub)
    toggles = await actions.category_toggles(store, sub)
    assert [(x.slug, x.subscribed) for x in toggles] == [
        ("ai-frontier", False),
        ("climate", True),
        ("markets", False),
    ]
    assert await actions.toggle(store, sub, "climate", now=NOW) == "Unsubscribed from Climate."
    assert "no longer exists" in await actions.toggle(store, sub, "gone", now=NOW)


@pytest.mark.parametrize(
    ("args", "expected", "stored"),
    [
        (["7:5"], "Your digest will come at 07:05 (UTC).", "07:05"),
        (["25:00"], "Give a time of day as HH:MM", "08:00"),
        ([], "Give a time of day as HH:MM", "08:00"),
    ],
)
async def test_set_time(
    categorised_store: Store, args: list[str], expected: str, stored: str
) -> None:
    sub = await reader(categorised_store)
    assert expected in await actions.set_time(categorised_store, sub, args, now=NOW, spelling=SLASH)
    assert (await reload(categorised_store, sub)).digest_time == stored


async def test_timezone_with_aliases_and_suggestions(categorised_store: Store) -> None:
    store = categorised_store
    sub = await reader(store)
    reply = await actions.set_timezone(store, sub, ["Asia/Saigon"], now=NOW, spelling=SLASH)
    assert "Asia/Ho_Chi_Minh" in reply and "now called" in reply
    assert (await reload(store, sub)).timezone == "Asia/Ho_Chi_Minh"
    typo = await actions.set_timezone(store, sub, ["Europe/Londn"], now=NOW, spelling=SLASH)
    assert "Did you mean: Europe/London" in typo
    assert (await reload(store, sub)).timezone == "Asia/Ho_Chi_Minh"
    assert "Unknown time zone" in await actions.set_timezone(
        store, sub, ["Mars/Base"], now=NOW, spelling=SLASH
    )


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Asia/Saigon", "Asia/Ho_Chi_Minh"),
        ("america/new york", "America/New_York"),
        ("Europe/Kiev", "Europe/Kyiv"),
        ("Nowhere/Land", None),
    ],
)
def test_resolve_zone(text: str, zone: str | None) -> None:
    assert resolve_zone(text)[0] == zone


@pytest.mark.parametrize(
    ("args", "frequency", "day", "reply"),
    [
        (["weekdays"], Frequency.WEEKDAYS, None, "on weekdays"),
        (["weekly", "fri"], Frequency.WEEKLY, 4, "every Friday"),
        (["weekly"], Frequency.DAILY, None, "Use /frequency"),
        (["hourly"], Frequency.DAILY, None, "Use /frequency"),
        (["daily", "extra"], Frequency.DAILY, None, "Use /frequency"),
    ],
)
async def test_set_frequency(
    categorised_store: Store, args: list[str], frequency: Frequency, day: int | None, reply: str
) -> None:
    sub = await reader(categorised_store)
    assert reply in await actions.set_frequency(
        categorised_store, sub, args, now=NOW, spelling=SLASH
    )
    loaded = await reload(categorised_store, sub)
    assert (loaded.frequency, loaded.weekly_day) == (frequency, day)


async def test_filter(categorised_store: Store) -> None:
    store = categorised_store
    sub = await reader(store)
    await store.subscribe(sub.id, ["climate"], now=NOW)
    sub = await reload(store, sub)
    assert "only stories mentioning solar, wind power" in await actions.set_filter(
        store, sub, ["climate", "solar,", "wind", "power"], now=NOW, spelling=SLASH
    )
    assert (await reload(store, sub)).subscriptions[0].keywords == ("solar", "wind power")
    assert "not subscribed" in await actions.set_filter(
        store, sub, ["markets", "x"], now=NOW, spelling=SLASH
    )
    too_many = ", ".join(f"k{i}" for i in range(30))
    assert "At most" in await actions.set_filter(
        store, sub, ["climate", too_many], now=NOW, spelling=SLASH
    )
    assert "Filter removed" in await actions.set_filter(
        store, sub, ["climate", "off"], now=NOW, spelling=SLASH
    )
    assert (await reload(store, sub)).subscriptions[0].keywords == ()


async def test_pause_resume_language_and_forget_in_vietnamese(categorised_store: Store) -> None:
    store = categorised_store
    sub = await reader(store, "vi")
    assert "/resume" in await actions.pause(store, sub, now=NOW, spelling=SLASH)
    assert (await reload(store, sub)).paused
    await store.deactivate(sub.id, reason="blocked", now=NOW)
    await actions.resume(store, sub, now=NOW)
    loaded = await reload(store, sub)
    assert not loaded.paused and loaded.active and loaded.next_digest_at is None
    reply, lang = await actions.set_language(store, sub, ["en"], now=NOW, spelling=SLASH)
    assert (reply, lang) == ("I will speak English with you.", "en")
    reply, lang = await actions.set_language(store, sub, ["fr"], now=NOW, spelling=SLASH)
    assert lang == "vi" and "/language" in reply
    reply = await actions.forget(store, await reload(store, sub), now=NOW)
    assert "deleted" in reply
    assert await store.find_subscriber("telegram", "1") is None


# --- the platform's spelling reaches every reply that names a command ---------------------

# A platform with a command group and named options, as Discord has.
GROUPED = actions.Spelling(
    prefix="/news ",
    names={"mysubs": "list"},
    options={"time": ("time",), "frequency": ("how", "day"), "filter": ("category", "keywords")},
)


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [(SLASH, "/time 07:30"), (GROUPED, "/news time time:07:30")],
)
def test_a_spelling_writes_a_command_with_its_arguments(
    spelling: actions.Spelling, expected: str
) -> None:
    assert spelling.command("time", "07:30") == expected


def test_a_spelling_renames_and_leaves_out_missing_options() -> None:
    assert GROUPED.command("mysubs") == "/news list"
    assert GROUPED.command("frequency", "daily") == "/news frequency how:daily"
    assert GROUPED.command("resume") == "/news resume"
    assert SLASH.command("frequency", "weekly", "monday") == "/frequency weekly monday"


@pytest.mark.parametrize(
    ("action", "args", "slash", "grouped"),
    [
        ("subscribe", [], "e.g. /subscribe ai-frontier.", "e.g. /news subscribe ai-frontier."),
        ("unsubscribe", [], "or: /unsubscribe all", "or: /news unsubscribe all"),
        ("time", ["25:00"], "e.g. /time 07:30", "e.g. /news time time:07:30"),
        ("timezone", [], "/timezone Asia/Ho_Chi_Minh", "/news timezone Asia/Ho_Chi_Minh"),
        (
            "frequency",
            ["hourly"],
            "Use /frequency daily, /frequency weekdays or /frequency weekly monday",
            "Use /news frequency how:daily, /news frequency how:weekdays or "
            "/news frequency how:weekly day:monday",
        ),
        (
            "filter",
            [],
            "Use /filter <category> keyword, another keyword — or /filter <category> off",
            "Use /news filter category:<category> keywords:keyword, another keyword — or "
            "/news filter category:<category> keywords:off",
        ),
        ("pause", [], "Use /resume to start again.", "Use /news resume to start again."),
        ("language", ["fr"], "Use /language en or /language vi", "/news language en or"),
    ],
)
async def test_usage_replies_name_the_command_as_the_platform_spells_it(
    categorised_store: Store, action: str, args: list[str], slash: str, grouped: str
) -> None:
    sub = await reader(categorised_store)
    change = actions.CHANGES[action]
    assert slash in await change(categorised_store, sub, args, NOW, SLASH, None)
    assert grouped in await change(categorised_store, sub, args, NOW, GROUPED, None)


async def test_describe_names_the_commands_as_the_platform_spells_them(
    categorised_store: Store,
) -> None:
    store = categorised_store
    sub = await reader(store, "vi")
    assert "Dùng /news categories để chọn." in await actions.describe(store, sub, spelling=GROUPED)
    await actions.pause(store, sub, now=NOW, spelling=SLASH)
    paused = await actions.describe(store, await reload(store, sub), spelling=GROUPED)
    assert "dùng /news resume để nhận lại bản tin" in paused
    assert actions.no_subscriptions("en", SLASH) == (
        "You have no subscriptions yet. Use /categories to pick some."
    )
