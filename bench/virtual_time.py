"""An asyncio event loop whose clock skips the time it would spend idle, for benchmarks
that span hours of a day (bench/punctuality.py).

``loop.time()`` is the real monotonic clock plus an offset. When the loop has nothing
ready and would wait for its next timer, and no work is outstanding outside the loop, the
offset jumps to that timer instead of sleeping. While work is outstanding (a SQLite call
on aiosqlite's thread, a job in an executor, an HTTP request marked with ``working()``)
the loop waits for real and its clock runs at the real pace, so what the CPU, the disk and
the sockets really cost is counted in the simulated time; only idle waits are skipped.

Everything that reads the time must read this clock: ``asyncio.sleep`` and timeouts do
(they are the loop's timers), and ``VirtualClock`` turns it into the ``Clock`` the store,
the dispatcher and the delivery worker take. Work that the loop cannot see (a thread
started by hand, a socket of another process) must be marked with ``working()``, or the
clock may jump while it runs.

Usage: python -m bench.virtual_time (a self-check: an hour of timers in a moment)
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

import aiosqlite.core

T = TypeVar("T")


class _JumpingSelector(selectors.DefaultSelector):  # type: ignore[misc, valid-type]
    """The loop's selector: an idle wait for a timer becomes a jump of the clock."""

    def __init__(self, busy: Callable[[], bool]) -> None:
        super().__init__()
        self.offset = 0.0
        self.jumped = 0.0
        self.jumps = 0
        self._busy = busy

    def select(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        if timeout is None or timeout <= 0 or self._busy():
            return super().select(timeout)  # type: ignore[no-any-return]
        # Whatever the sockets already hold is handled first, at the present instant.
        ready: list[tuple[Any, int]] = super().select(0)
        if ready:
            return ready
        self.offset += timeout
        self.jumped += timeout
        self.jumps += 1
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose ``time()`` skips idle waits (see the module's doc)."""

    def __init__(self) -> None:
        self._outstanding = 0
        self._jumping = _JumpingSelector(lambda: self._outstanding > 0)
        super().__init__(self._jumping)

    def time(self) -> float:
        return time.monotonic() + self._jumping.offset

    @property
    def skipped(self) -> float:
        """Seconds of idle waiting skipped so far."""
        return self._jumping.jumped

    @property
    def jumps(self) -> int:
        return self._jumping.jumps

    @contextlib.contextmanager
    def working(self) -> Iterator[None]:
        """Mark work outside the loop (a request to a server, a thread) as outstanding:
        the clock runs at the real pace, not jumping, until the block ends."""
        self._outstanding += 1
        try:
            yield
        finally:
            self._outstanding -= 1

    def run_in_executor(self, executor: Any, func: Callable[..., T], *args: Any) -> Any:
        future = super().run_in_executor(executor, func, *args)
        self._outstanding += 1
        future.add_done_callback(self._settled)
        return future

    def _settled(self, _: object) -> None:
        self._outstanding -= 1


def _counted(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @wraps(method)
    async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        if not isinstance(loop, VirtualTimeLoop):
            return await method(self, *args, **kwargs)
        with loop.working():
            return await method(self, *args, **kwargs)

    return counted


@contextlib.contextmanager
def sqlite_calls_counted() -> Iterator[None]:
    """While inside: every call aiosqlite hands to its connection's thread counts as
    outstanding work of a running ``VirtualTimeLoop`` (aiosqlite's thread is invisible
    to the loop until it posts the result back)."""
    connection = aiosqlite.core.Connection
    saved = connection._execute, connection._connect
    connection._execute = _counted(saved[0])  # type: ignore[method-assign]
    connection._connect = _counted(saved[1])  # type: ignore[method-assign]
    try:
        yield
    finally:
        connection._execute, connection._connect = saved  # type: ignore[method-assign]


class VirtualClock:
    """The ``Clock`` (aware UTC datetimes) of a loop's time: ``start`` at the instant
    ``zero`` of ``loop.time()``."""

    def __init__(self, loop: asyncio.AbstractEventLoop, start: datetime) -> None:
        self._loop = loop
        self._start = start
        self._zero = loop.time()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._loop.time() - self._zero)

    def at(self, loop_time: float) -> datetime:
        """The instant of a ``loop.time()`` reading."""
        return self._start + timedelta(seconds=loop_time - self._zero)

    def loop_time(self, instant: datetime) -> float:
        """The ``loop.time()`` reading of an instant."""
        return self._zero + (instant - self._start).total_seconds()

    async def sleep_until(self, instant: datetime) -> None:
        await asyncio.sleep(max(0.0, (instant - self.now()).total_seconds()))


class Reading:
    """The loop's clock as a ``() -> float`` for code that takes one (the fake Bot API's
    flood limits); ``last`` is its latest reading."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.last = loop.time()

    def __call__(self) -> float:
        self.last = self._loop.time()
        return self.last


async def _self_check() -> None:
    """An hour of timers and a SQLite call on the loop's clock; prints the two clocks."""
    loop = asyncio.get_running_loop()
    started, real = loop.time(), time.perf_counter()
    with sqlite_calls_counted():
        async with aiosqlite.connect(":memory:") as db:
            for _ in range(60):
                await asyncio.sleep(60)
                await db.execute("SELECT 1")
    print(
        f"simulated {loop.time() - started:.1f} s in {time.perf_counter() - real:.3f} s real "
        f"({loop.jumps} jumps)"  # type: ignore[attr-defined]
    )


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        runner.run(_self_check())
