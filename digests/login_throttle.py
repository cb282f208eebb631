"""When failed console log-ins lock an account or an address (pure decisions; the store
keeps the counts in ``console_logins`` so every process shares them).

A key ('account:<name>' or 'address:<ip>') that fails ``limit`` times in a row is locked
for a minute; every failure after a lock ends doubles the lock, up to an hour. A day
without failures starts the count again (the store's upsert does that, in SQL), so
yesterday's typos never lock anyone today.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=1)
FORGET_AFTER = timedelta(days=1)
# 2**6 minutes is past the hour already: no need for larger powers (nor huge integers).
_MAX_DOUBLINGS = 6


def account_key(name: str) -> str:
    return f"account:{name}"


# One IPv6 subscriber holds a whole /64 (2**64 addresses): counting each address apart
# would give a guesser as many tries as addresses. An IPv6 client counts as its /64.
IPV6_PREFIX = 64


def address_key(address: str) -> str:
    return f"address:{throttled_network(address)}"


def throttled_network(address: str) -> str:
    """What the address throttle counts ``address`` as (pure): an IPv4 address itself
    (also when written IPv4-mapped, ``::ffff:a.b.c.d``), an IPv6 address as its /64;
    anything else as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


def lock_for(failures: int, limit: int) -> timedelta | None:
    """How long ``failures`` in a row lock a key whose limit is ``limit`` (None: not locked)."""
    if failures < limit:
        return None
    doublings = min(failures - limit, _MAX_DOUBLINGS)
    return min(FIRST_LOCK * 2**doublings, LONGEST_LOCK)


def locked_until(failures: int, limit: int, now: datetime) -> datetime | None:
    """The end of the lock the failure at ``now`` starts, or None."""
    lock = lock_for(failures, limit)
    return None if lock is None else now + lock


def minutes_left(until: datetime, now: datetime) -> int:
    """Whole minutes to say to someone locked out until ``until`` (at least 1)."""
    return max(1, math.ceil((until - now).total_seconds() / 60))
