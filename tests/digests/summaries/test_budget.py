"""The daily token budget: what the API reported, reservations before calls, one day at a
time."""

from __future__ import annotations

from datetime import date

import pytest

from digests.summaries.budget import Budget, estimate_tokens, used_tokens
from digests.summaries.model import ModelRequest

DAY = date(2026, 3, 2)


def request(chars: int, max_tokens: int = 300) -> ModelRequest:
    return ModelRequest(({"role": "user", "content": "x" * chars},), {}, max_tokens=max_tokens)


@pytest.mark.parametrize(
    ("chars", "max_tokens", "expected"),
    [(0, 300, 300), (3000, 300, 1300), (3000, 0, 1000), (3000, -5, 1000)],
)
def test_estimate_is_chars_over_three_plus_the_answer_cap(
    chars: int, max_tokens: int, expected: int
) -> None:
    # The empty schema "{}" adds two characters: nothing at a third of a token each.
    assert estimate_tokens(request(chars, max_tokens)) == expected


def test_the_schema_counts_too() -> None:
    plain = estimate_tokens(request(0))
    schema = {"type": "object", "properties": {"summary": {"type": "string"}}}
    with_schema = ModelRequest(({"role": "user", "content": ""},), schema, max_tokens=300)
    assert estimate_tokens(with_schema) > plain


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({}, 0),
        ({"prompt_tokens": 100, "completion_tokens": 20, "calls": 3}, 120),
        ({"prompt_tokens": -5, "completion_tokens": 20}, 20),
        ({"cache_hits": 9000}, 0),
    ],
)
def test_used_tokens_come_from_the_reported_usage(usage: dict[str, int], expected: int) -> None:
    assert used_tokens(usage) == expected


def test_reservations_stop_concurrent_calls_from_overshooting() -> None:
    budget = Budget(10_000)
    budget.start(DAY, {"prompt_tokens": 7_000})
    assert budget.reserve(1_500)
    assert budget.reserve(1_500)
    assert not budget.reserve(1_500)  # 7,000 used + 3,000 reserved: none left
    assert budget.left == 0
    budget.settle(1_500, 800, 100)  # the real usage replaces the estimate
    assert budget.used == 7_900 and budget.left == 600
    budget.release(1_500)  # a call that failed before any answer costs nothing
    assert budget.left == 2_100
    assert budget.reserve(2_100) and not budget.reserve(1)


def test_spent_is_told_once_a_day_and_a_new_day_starts_afresh() -> None:
    budget = Budget(1_000)
    budget.start(DAY, {"prompt_tokens": 900, "completion_tokens": 100})
    assert not budget.reserve(300)
    assert budget.exhausted()
    budget.start(DAY, {"prompt_tokens": 900, "completion_tokens": 100})  # the next pass
    assert not budget.reserve(300)
    assert not budget.exhausted()  # already said today
    budget.start(date(2026, 3, 3), {})  # a new UTC day: the counters are the new day's
    assert budget.reserve(300)
    budget.start(date(2026, 3, 3), {"prompt_tokens": 1_000})
    assert not budget.reserve(300)
    assert budget.exhausted()


def test_each_pass_reads_what_every_process_reported() -> None:
    """The counters are read again at every pass, so another process's use is seen."""
    budget = Budget(5_000)
    budget.start(DAY, {})
    assert budget.reserve(1_000)
    budget.settle(1_000, 1_000, 0)
    budget.start(DAY, {"prompt_tokens": 4_500})  # the store says more was used elsewhere
    assert budget.used == 4_500 and budget.reserved == 0
    assert not budget.reserve(1_000)
