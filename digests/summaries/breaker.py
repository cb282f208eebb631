"""When the model may be called: a circuit breaker with back-off. Pure (every decision takes
``now``; the jitter comes from an injected random source).

- ``THRESHOLD`` failed calls in a row open the circuit for ``OPEN_FOR`` (doubling each time
  it opens again without a success in between, up to ``OPEN_MAX``); then one trial call is
  let through (half-open): its success closes the circuit, its failure opens it again for
  twice as long.
- A 429's Retry-After pauses every call until then (capped at ``RETRY_AFTER_MAX``: a
  server's header must not stop summaries for a year).
- A 5xx, a time-out, an unreachable server or a 429 without Retry-After pause calls for an
  exponential back-off with jitter (``BACKOFF_BASE`` doubling per failure in a row, up to
  ``BACKOFF_MAX``), so processes do not return in step.

A model that answers, even with text the checks refuse, is working: that closes the circuit.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from digests.summaries.model import RATE_LIMITED, REFUSED

THRESHOLD = 5
OPEN_FOR = timedelta(seconds=60)
OPEN_MAX = timedelta(minutes=15)
BACKOFF_BASE = timedelta(seconds=2)
BACKOFF_MAX = timedelta(minutes=2)
RETRY_AFTER_MAX = timedelta(hours=1)

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


def retry_after_delay(seconds: float | None) -> timedelta | None:
    """A usable Retry-After (finite, positive), capped; None otherwise."""
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        return None
    return min(timedelta(seconds=min(seconds, RETRY_AFTER_MAX.total_seconds())), RETRY_AFTER_MAX)


class Breaker:
    """The state shared by the calls of one process."""

    def __init__(self, jitter: Callable[[], float] = random.random) -> None:
        self._jitter = jitter  # in [0, 1)
        self.failures = 0  # failed calls in a row
        self.openings = 0  # times opened in a row (the open period doubles)
        self.state = CLOSED
        self.open_until: datetime | None = None
        self.paused_until: datetime | None = None
        self._trial = False  # the half-open trial call is under way

    def allow(self, now: datetime) -> bool:
        """Whether a call may start now. In half-open, only one (the trial) is allowed
        until it ends; a caller that then makes no call must ``cancel``."""
        if self.paused_until is not None and now < self.paused_until:
            return False
        if self.state == OPEN:
            if self.open_until is not None and now < self.open_until:
                return False
            self.state = HALF_OPEN
        if self.state == HALF_OPEN:
            if self._trial:
                return False
            self._trial = True
        return True

    def cancel(self) -> None:
        """An allowed call was not made after all (the budget refused it)."""
        self._trial = False

    def succeeded(self) -> None:
        """The model answered: the circuit closes."""
        self.failures = 0
        self.openings = 0
        self.state = CLOSED
        self.open_until = None
        self._trial = False

    def failed(self, now: datetime, reason: str, retry_after: float | None = None) -> None:
        """A call brought no answer (``reason`` from ``digests.summaries.model``)."""
        self.failures += 1
        pause = retry_after_delay(retry_after) if reason == RATE_LIMITED else None
        if pause is None and reason != REFUSED:  # a refusal is not cured by waiting seconds
            pause = self._backoff()
        if pause is not None:
            until = now + pause
            self.paused_until = max(until, self.paused_until or until)
        # Open already: the calls that were under way when it opened change nothing.
        if self.state == HALF_OPEN or (self.state == CLOSED and self.failures >= THRESHOLD):
            self._open(now)
        self._trial = False

    def _backoff(self) -> timedelta:
        steps = min(self.failures - 1, 20)
        full = min(BACKOFF_BASE * 2**steps, BACKOFF_MAX)
        return full * (0.5 + self._jitter() / 2)  # "equal jitter": between half and all

    def _open(self, now: datetime) -> None:
        period = min(OPEN_FOR * 2 ** min(self.openings, 20), OPEN_MAX)
        self.openings += 1
        self.state = OPEN
        self.open_until = now + period
