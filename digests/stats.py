"""The bot-wide figures a bot admin asks a chat bot for (``/stats``, ``/news stats``),
and the processes sharing the database, the crowds ahead and the model's day (calls,
tokens, cache hits, fallbacks, budget left) as ``digestbot stats``, ``/api/stats`` and
``/metrics`` show them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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


async def stats_lines(
    store: Store, settings: Settings | None = None, *, now: datetime | None = None
) -> list[str]:
    """Stored counts, then the outbox by platform and status, then (given the settings
    and the time) the model's day, then the sign-ups through links, one line each."""
    counts = await store.counts()
    outbox = await store.outbox_counts()
    lines = [f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()]
    lines += [
        f"{platform}: " + ", ".join(f"{s} {n}" for s, n in sorted(row.items()))
        for platform, row in sorted(outbox.items())
    ]
    if settings is not None and now is not None:
        lines += model_lines(await model_day_of(store, settings, now=now))
    lines.append(signups_line(await store.signup_counts()))
    return lines


# The model's counters (``llm_usage``; digests.summaries adds them): a fallback's is
# FALLBACK followed by its reason.
FALLBACK = "fallback:"
# A reason is text from the store: shown (and used as a Prometheus label value) only as
# these characters, at most REASON_LENGTH of them.
_NOT_IN_REASON = re.compile(r"[^A-Za-z0-9_.:-]+")
REASON_LENGTH = 48


def reason_label(reason: str) -> str:
    """A fallback reason as a chat line, the terminal and a Prometheus label show it
    (pure): other characters than ASCII letters, digits and ``_ . : -`` become ``_``;
    ``unknown`` when nothing is left."""
    cleaned = _NOT_IN_REASON.sub("_", reason)[:REASON_LENGTH].strip("_")
    return cleaned or "unknown"


@dataclass(frozen=True)
class ModelDay:
    """The model's use on one UTC day: calls, tokens the API reported, stories shown
    with a stored summary (cache hits), fallbacks to the sources' own summaries by
    reason (most first), and the daily budget."""

    day: date
    enabled: bool
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_hits: int = 0
    fallbacks: tuple[tuple[str, int], ...] = ()
    budget: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def budget_left(self) -> int:
        return max(0, self.budget - self.tokens)

    @property
    def shown(self) -> bool:
        """Whether to show it: a model is configured, or was and counted something."""
        counted = self.calls or self.tokens or self.cache_hits or self.fallbacks
        return self.enabled or bool(counted)

    def as_json(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "day": self.day.isoformat(),
            "calls": self.calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "tokens": self.tokens,
            "cache_hits": self.cache_hits,
            "fallbacks": dict(self.fallbacks),
            "budget": self.budget,
            "budget_left": self.budget_left,
        }


def model_day(usage: Mapping[str, int], *, day: date, enabled: bool, budget: int) -> ModelDay:
    """The day's counters (``Store.llm_usage``) as a ModelDay (pure); reasons cleaned
    with ``reason_label`` (two that clean alike are added up), unknown names ignored."""
    fallbacks: dict[str, int] = {}
    for name, count in usage.items():
        if name.startswith(FALLBACK) and count:
            label = reason_label(name[len(FALLBACK) :])
            fallbacks[label] = fallbacks.get(label, 0) + count
    return ModelDay(
        day,
        enabled,
        calls=usage.get("calls", 0),
        prompt_tokens=usage.get("prompt_tokens", 0),
        completion_tokens=usage.get("completion_tokens", 0),
        cache_hits=usage.get("cache_hits", 0),
        fallbacks=tuple(sorted(fallbacks.items(), key=lambda item: (-item[1], item[0]))),
        budget=budget,
    )


async def model_day_of(store: Store, settings: Settings, *, now: datetime) -> ModelDay:
    """Today's (UTC) ModelDay from the store."""
    day = now.astimezone(UTC).date()
    return model_day(
        await store.llm_usage(day),
        day=day,
        enabled=settings.llm.enabled,
        budget=settings.llm.daily_token_budget,
    )


def model_lines(view: ModelDay) -> list[str]:
    """The model's day in two chat lines (pure); none when it is not ``shown``."""
    if not view.shown:
        return []
    state = "" if view.enabled else " (model off)"
    fallbacks = ", ".join(f"{reason} {n:,}" for reason, n in view.fallbacks) or "none"
    return [
        f"model today{state}: {view.calls:,} calls, {view.tokens:,} tokens "
        f"({view.prompt_tokens:,} prompt, {view.completion_tokens:,} completion), "
        f"{view.cache_hits:,} cache hits, budget left {view.budget_left:,} of {view.budget:,}",
        f"model fallbacks today: {fallbacks}",
    ]


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
