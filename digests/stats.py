"""The bot-wide figures a bot admin asks a chat bot for (``/stats``, ``/news stats``),
and the processes sharing the database and the crowds ahead as ``digestbot stats`` and
``/api/stats`` list them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from digests.links import SignupCount
from digests.punctuality import MINUTE_S, forecast
from digests.settings import Settings
from digests.store import Store
from digests.store._processes import ProcessInfo

# A chat message has room for the links that brought most readers, not for every one.
SIGNUPS_SHOWN = 10
# The crowds ahead shown by ``digestbot stats`` and /api/stats: this many hours, at most
# this many crowds (the soonest; the rest are counted).
FORECAST_HOURS = 6
CROWDS_SHOWN = 50


def signups_line(counts: Sequence[SignupCount]) -> str:
    """``sign-ups: ai-frontier 3, Kx7Qm2p (website) 2`` (pure), most first."""
    shown = [
        f"{c.link} ({c.source}) {c.count}" if c.source else f"{c.link} {c.count}"
        for c in counts[:SIGNUPS_SHOWN]
    ]
    if len(counts) > SIGNUPS_SHOWN:
        shown.append(f"… {len(counts) - SIGNUPS_SHOWN} more links")
    return "sign-ups: " + (", ".join(shown) or "none yet")


async def stats_lines(store: Store) -> list[str]:
    """Stored counts, then the outbox by platform and status, then the sign-ups through
    links, one line each."""
    counts = await store.counts()
    outbox = await store.outbox_counts()
    lines = [f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()]
    lines += [
        f"{platform}: " + ", ".join(f"{s} {n}" for s, n in sorted(row.items()))
        for platform, row in sorted(outbox.items())
    ]
    lines.append(signups_line(await store.signup_counts()))
    return lines


@dataclass(frozen=True)
class ProcessView:
    """One process sharing the database, as an operator reads it: ``silent`` is how long
    since its last heartbeat, ``stale`` whether that is longer than a live process stays
    quiet (it died, or lost the database; its row stays until it ends cleanly)."""

    name: str
    roles: tuple[str, ...]
    in_flight: int
    started_at: datetime
    heartbeat_at: datetime
    silent: timedelta
    stale: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "roles": list(self.roles),
            "in_flight": self.in_flight,
            "started_at": self.started_at.isoformat(),
            "heartbeat_at": self.heartbeat_at.isoformat(),
            "seconds_since_heartbeat": int(self.silent.total_seconds()),
            "stale": self.stale,
        }


def process_views(
    processes: Sequence[ProcessInfo], *, now: datetime, stale_after: timedelta
) -> list[ProcessView]:
    """Each process with how long it has been silent (pure; a heartbeat ahead of this
    machine's clock counts as just now), in the store's order (newest heartbeat first)."""
    views = []
    for process in processes:
        silent = max(now - process.heartbeat_at, timedelta(0))
        views.append(
            ProcessView(
                process.name,
                process.roles,
                process.in_flight,
                process.started_at,
                process.heartbeat_at,
                silent,
                silent > stale_after,
            )
        )
    return views


async def processes_of(store: Store, *, now: datetime, stale_after: timedelta) -> list[ProcessView]:
    """The processes' heartbeat rows as ``process_views``."""
    return process_views(await store.processes(), now=now, stale_after=stale_after)


@dataclass(frozen=True)
class CrowdView:
    """A crowd ahead: readers due at one minute on one platform who are dispatched early
    (``lead``), or who are expected to get the digest after their minute; ``latest`` is
    the expected latest arrival relative to the minute."""

    platform: str
    at: datetime
    readers: int
    lead: timedelta
    latest: timedelta

    @property
    def on_time(self) -> bool:
        return self.latest.total_seconds() <= MINUTE_S

    def as_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "due_at": self.at.isoformat(),
            "readers": self.readers,
            "lead_seconds": round(self.lead.total_seconds()),
            "latest_arrival_seconds": round(self.latest.total_seconds()),
            "on_time": self.on_time,
        }


@dataclass(frozen=True)
class Forecast:
    """The crowds of the next ``hours``: the soonest CROWDS_SHOWN, and how many more."""

    hours: int
    crowds: tuple[CrowdView, ...]
    more: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "hours": self.hours,
            "crowds": [c.as_json() for c in self.crowds],
            "more": self.more,
        }


async def crowds_ahead(
    store: Store, settings: Settings, *, now: datetime, hours: int = FORECAST_HOURS
) -> Forecast:
    """The crowds due from now to ``hours`` ahead (``digests.punctuality.forecast``)."""
    plans = await forecast(store, settings, now=now, until=now + timedelta(hours=hours))
    crowds = sorted(
        (
            CrowdView(platform, m.at, m.readers, m.lead, timedelta(seconds=m.latest_s))
            for platform, minutes in plans.items()
            for m in minutes
            if m.crowd
        ),
        key=lambda c: (c.at, c.platform),
    )
    return Forecast(hours, tuple(crowds[:CROWDS_SHOWN]), max(0, len(crowds) - CROWDS_SHOWN))
