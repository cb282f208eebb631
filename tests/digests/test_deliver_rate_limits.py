"""A long 429 on a send (Discord's client raises on waits over 30 s so that the worker
decides): waited out in the queue, not asleep in a worker slot five times over; and a wild
retry_after (infinity, 1e20, NaN, negative) is a wait the worker can carry out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from digests.delivery_decisions import (
    LONG_RATE_LIMIT_S,
    MAX_RATE_LIMIT_WAIT_S,
    Step,
    decide_failure,
)
from digests.delivery_errors import RateLimited
from digests.settings import DeliveryLimits
from digests.store import Store
from tests.conftest import NOW
from tests.digests.test_deliver import Harness, ScriptedSender, subscriber_with_entry

DAY = timedelta(seconds=MAX_RATE_LIMIT_WAIT_S)


@pytest.mark.parametrize(
    ("retry_after", "step", "at", "pause"),
    [
        (3.0, Step.RETRY_NOW, None, 3.0),
        (40.0, Step.RETRY_NOW, None, 40.0),  # a busy channel's: waited out in the slot
        (3600.0, Step.RETRY_LATER, NOW + timedelta(hours=1), LONG_RATE_LIMIT_S),
        (float("inf"), Step.RETRY_LATER, NOW + DAY, LONG_RATE_LIMIT_S),
        (1e20, Step.RETRY_LATER, NOW + DAY, LONG_RATE_LIMIT_S),
        (float("nan"), Step.RETRY_NOW, None, 0.0),
        (-5.0, Step.RETRY_NOW, None, 0.0),
    ],
)
def test_a_429s_wait(retry_after: float, step: Step, at: object, pause: float) -> None:
    decision = decide_failure(
        RateLimited(retry_after),
        attempts=0,
        failures=0,
        rate_limited=1,
        plain_fallback=False,
        now=NOW,
        limits=DeliveryLimits(),
        jitter=0.5,
    )
    assert decision.step is step
    assert decision.at == at
    assert decision.pause == pause
    assert not decision.count_attempt


@pytest.mark.parametrize("retry_after", [3600.0, float("inf")])
async def test_a_long_429_goes_back_to_the_queue_at_once(store: Store, retry_after: float) -> None:
    _, entry = await subscriber_with_entry(store)
    sender = ScriptedSender(*[RateLimited(retry_after)] * 10)
    harness = Harness(store, sender)
    await harness.worker.run_once()
    row = await store.outbox_entry(entry)
    assert row["status"] == "retrying" and row["attempts"] == 0  # not dead, no attempt
    assert sender.attempts == 1  # asked once, not five times an hour apart
    assert sum(harness.slept) <= LONG_RATE_LIMIT_S
