"""Keep the long-lived tasks of ``digestbot run`` alive, and say while one is down.

``supervise`` runs a task (the delivery worker) until the process stops; if the task ends
before that, for whatever reason, it is logged in one line and started again after a
backoff (1 s, doubling up to a minute; back to 1 s after it ran a minute). ``Liveness``
is what it marks meanwhile: the one place that says which of these parts is down, read
by ``/healthz`` (which then answers 503) beside the store's own health check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from digests.delivery_decisions import one_line

log = logging.getLogger("digestbot.run")

RESTART_BASE_S = 1.0
RESTART_CAP_S = 60.0
# A task that ran this long before ending is restarted at once again (after the base wait).
HEALTHY_AFTER_S = 60.0


class Liveness:
    """Which long-lived parts are down, and why (one line each, safe to show publicly)."""

    def __init__(self) -> None:
        self._down: dict[str, str] = {}

    def down(self, part: str, reason: str) -> None:
        self._down[part] = reason

    def up(self, part: str) -> None:
        self._down.pop(part, None)

    def problem(self) -> str | None:
        """None when every part runs; otherwise what is down, in one line."""
        if not self._down:
            return None
        return "; ".join(f"{part} is down: {reason}" for part, reason in sorted(self._down.items()))


async def pause_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def restart_delay(failures: int) -> float:
    """Seconds before the ``failures``-th restart in a row."""
    return min(RESTART_CAP_S, RESTART_BASE_S * 2 ** min(max(0, failures - 1), 16))


async def supervise(
    name: str,
    start: Callable[[], Awaitable[None]],
    stop: asyncio.Event,
    liveness: Liveness,
    *,
    monotonic: Callable[[], float] = time.monotonic,
    pause: Callable[[asyncio.Event, float], Awaitable[None]] | None = None,
) -> None:
    """Run ``start()`` until ``stop`` is set, starting it again whenever it ends before.

    Between an end and the restart, ``liveness`` says ``name`` is down. Cancelling this
    coroutine cancels the task it runs. ``pause`` waits between an end and the restart
    (``pause_unless_stopped``, looked up when needed so that a test can hold it).
    """
    failures = 0
    while not stop.is_set():
        began = monotonic()
        task = asyncio.ensure_future(start())
        try:
            await task
            reason = "it ended"
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # we are being cancelled (shutdown): the task went with us
            reason = "it was cancelled"
        except Exception as error:  # whatever ended it, it is told and restarted
            reason = one_line(error)
        if stop.is_set():
            return
        failures = 1 if monotonic() - began >= HEALTHY_AFTER_S else failures + 1
        delay = restart_delay(failures)
        liveness.down(name, f"{reason}; restarting in {delay:.0f} s")
        log.error("%s stopped (%s); restarting it in %.0f s", name, reason, delay)
        try:
            await (pause or pause_unless_stopped)(stop, delay)
        finally:
            liveness.up(name)
