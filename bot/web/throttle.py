"""The log-in throttle as the log-in page uses it: which keys a try counts against, the
refusal while one of them is locked, and the audit row of a refused log-in (one a minute
per actor, ``Store.audit_refusal``). The decisions are ``digests.login_throttle``'s; the
counts live in the store, so every process behind the database shares them."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime

from aiohttp import web

from bot.web.context import console
from bot.web.i18n import ngettext
from bot.web.peer import client_address
from digests.login_throttle import (
    ACCOUNT_LIMIT,
    ADDRESS_LIMIT,
    account_key,
    address_key,
    minutes_left,
)


def limits_of(request: web.Request, name: str | None) -> dict[str, int]:
    """The keys a log-in as ``name`` (None: not a possible name) counts against."""
    limits = {address_key(client_address(request)): ADDRESS_LIMIT}
    if name is not None:
        limits[account_key(name)] = ACCOUNT_LIMIT
    return limits


# One try at a time per key in this process: the lock is read before the (slow) argon2
# verification and the failure written after it, so tries sent all at once would each
# find the key unlocked and each be verified. Weak values: a gate lives while in use.
_GATES: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


@asynccontextmanager
async def one_try_at_a_time(request: web.Request, name: str | None) -> AsyncIterator[None]:
    """Hold the gates of every key a log-in as ``name`` counts against (in sorted
    order, so two tries never wait for each other's gates)."""
    gates = []
    for key in sorted(limits_of(request, name)):
        gate = _GATES.get(key)
        if gate is None:
            gate = _GATES[key] = asyncio.Lock()
        gates.append(gate)
    async with AsyncExitStack() as stack:
        for gate in gates:
            await stack.enter_async_context(gate)
        yield


async def locked(request: web.Request, name: str | None) -> datetime | None:
    ctx = console(request)
    keys = list(limits_of(request, name))
    return await ctx.deps.store.console_login_lock(keys, now=ctx.deps.clock.now())


async def note_failure(request: web.Request, name: str | None) -> None:
    ctx = console(request)
    await ctx.deps.store.note_console_login_failure(
        limits_of(request, name), now=ctx.deps.clock.now()
    )


async def note_success(request: web.Request, name: str) -> None:
    await console(request).deps.store.clear_console_logins(account_key(name))


def wait_message(until: datetime, now: datetime) -> str:
    n = minutes_left(until, now)
    return ngettext(
        "Too many attempts, try again in %(num)s minute.",
        "Too many attempts, try again in %(num)s minutes.",
        n,
    )


async def audit_refused(
    request: web.Request, actor: str, detail: str, *, target: str | None = None
) -> None:
    """A refused log-in in the audit log: under the account's name when there is such an
    account, else under the address (a stranger's made-up names are not actors)."""
    ctx = console(request)
    await ctx.deps.store.audit_refusal(
        actor=actor,
        platform="console",
        action="login",
        now=ctx.deps.clock.now(),
        detail=detail,
        target=target,
    )
