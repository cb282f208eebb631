"""The model's day as the stats show it (``digests.stats``): counters from the store turned
into calls, tokens, cache hits, fallbacks by cleaned reason and the budget left; shown
when a model is configured or something was counted; the bot admins' /stats lines."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from digests.llm_settings import LlmSettings
from digests.settings import Settings
from digests.stats import (
    REASON_LENGTH,
    ModelDay,
    model_day,
    model_day_of,
    model_lines,
    reason_label,
    stats_lines,
)
from digests.store import Store
from tests.conftest import NOW

DAY = NOW.date()
ON = Settings(llm=LlmSettings(base_url="http://127.0.0.1:9/v1", daily_token_budget=10_000))
USAGE = {
    "calls": 4,
    "prompt_tokens": 3_000,
    "completion_tokens": 400,
    "cache_hits": 12,
    "fallback:not_ready": 7,
    "fallback:budget": 2,
    "fallback:wrong_language": 2,
    "something_new": 99,
}


@pytest.mark.parametrize(
    ("reason", "label"),
    [
        ("wrong_language", "wrong_language"),
        ("rate_limited", "rate_limited"),
        ('x"} evil{a="1', "x_evil_a_1"),
        ("line\nbreak\\", "line_break"),
        ("bidi\u202etxt", "bidi_txt"),
        ("\ud800", "unknown"),
        ("", "unknown"),
        ("tiếng việt", "ti_ng_vi_t"),
        ("r" * 500, "r" * REASON_LENGTH),
    ],
)
def test_reasons_are_cleaned_for_labels_and_lines(reason: str, label: str) -> None:
    assert reason_label(reason) == label


def test_counters_make_the_day() -> None:
    view = model_day(USAGE, day=DAY, enabled=True, budget=10_000)
    assert view == ModelDay(
        DAY,
        True,
        calls=4,
        prompt_tokens=3_000,
        completion_tokens=400,
        cache_hits=12,
        fallbacks=(("not_ready", 7), ("budget", 2), ("wrong_language", 2)),
        budget=10_000,
    )
    assert (view.tokens, view.budget_left, view.shown) == (3_400, 6_600, True)
    assert view.as_json() == {
        "enabled": True,
        "day": "2026-11-27",
        "calls": 4,
        "prompt_tokens": 3_000,
        "completion_tokens": 400,
        "tokens": 3_400,
        "cache_hits": 12,
        "fallbacks": {"not_ready": 7, "budget": 2, "wrong_language": 2},
        "budget": 10_000,
        "budget_left": 6_600,
    }


def test_reasons_that_clean_alike_are_added_and_the_budget_never_goes_below_zero() -> None:
    usage = {"prompt_tokens": 20_000, "fallback:a b": 1, "fallback:a\tb": 2, "fallback:c": 0}
    view = model_day(usage, day=DAY, enabled=True, budget=1_000)
    assert view.fallbacks == (("a_b", 3),)
    assert view.budget_left == 0


def test_shown_when_configured_or_counted() -> None:
    assert not model_day({}, day=DAY, enabled=False, budget=1).shown
    assert model_lines(model_day({}, day=DAY, enabled=False, budget=1)) == []
    assert model_day({}, day=DAY, enabled=True, budget=1).shown
    assert model_day({"fallback:x": 1}, day=DAY, enabled=False, budget=1).shown


def test_two_chat_lines() -> None:
    assert model_lines(model_day(USAGE, day=DAY, enabled=True, budget=10_000)) == [
        "model today: 4 calls, 3,400 tokens (3,000 prompt, 400 completion), 12 cache hits, "
        "budget left 6,600 of 10,000",
        "model fallbacks today: not_ready 7, budget 2, wrong_language 2",
    ]
    assert model_lines(model_day({"calls": 1}, day=DAY, enabled=False, budget=5_000)) == [
        "model today (model off): 1 calls, 0 tokens (0 prompt, 0 completion), 0 cache hits, "
        "budget left 5,000 of 5,000",
        "model fallbacks today: none",
    ]


async def test_the_day_is_the_utc_day(store: Store) -> None:
    await store.add_llm_usage(DAY, {"calls": 3})
    await store.add_llm_usage(DAY + timedelta(days=1), {"calls": 50})
    # 01:00 on the 28th in Ho Chi Minh City is still the 27th in UTC.
    late = datetime(2026, 11, 28, 1, 0, tzinfo=timezone(timedelta(hours=7)))
    assert (await model_day_of(store, ON, now=late)).calls == 3
    assert (await model_day_of(store, ON, now=NOW + timedelta(days=1))).calls == 50
    assert (await model_day_of(store, ON, now=NOW + timedelta(days=2))).calls == 0


async def test_stats_lines_show_the_model_before_the_signups(store: Store) -> None:
    await store.add_llm_usage(DAY, USAGE)
    lines = await stats_lines(store, ON, now=NOW)
    assert lines[-3:-1] == model_lines(model_day(USAGE, day=DAY, enabled=True, budget=10_000))
    assert lines[-1].startswith("sign-ups: ")
    # Without settings (older callers) and with no model nor counters: no model lines.
    assert not any(line.startswith("model") for line in await stats_lines(store))
    quiet = await stats_lines(store, Settings(), now=NOW + timedelta(days=3))
    assert not any(line.startswith("model") for line in quiet)


def test_the_day_of_a_date() -> None:
    assert model_day({}, day=date(2026, 1, 2), enabled=True, budget=1).as_json()["day"] == (
        "2026-01-02"
    )
