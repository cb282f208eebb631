"""GET /healthz (is the database still the one opened, and answering; is the delivery
worker running), /metrics (Prometheus) and /api/stats: read-only views of the store,
sign-ups through subscribe links, the processes sharing the database, the crowds of
readers ahead among them, and the model's day (calls, tokens, cache hits, fallbacks,
budget left)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.api.deps import deps
from bot.supervise import Liveness
from digests.links import SignupCount
from digests.stats import ModelDay, crowds_ahead, model_day_of, processes_of

log = logging.getLogger(__name__)


class _Snapshot:
    """A Prometheus collector over counts read for one scrape. Gauges with labels keep
    every label value ever set, so a status no longer in the outbox would be reported
    forever with its last value; this reports only what the store holds now."""

    def __init__(
        self,
        counts: Mapping[str, int],
        outbox: Mapping[str, Mapping[str, int]],
        signups: Sequence[SignupCount] = (),
        model: ModelDay | None = None,
    ) -> None:
        self.counts = counts
        self.outbox = outbox
        self.signups = signups
        self.model = model

    def collect(self) -> Iterator[Metric]:
        counts = self.counts
        yield GaugeMetricFamily("digestbot_articles", "Articles stored", value=counts["articles"])
        yield GaugeMetricFamily("digestbot_stories", "Stories stored", value=counts["stories"])
        subscribers = GaugeMetricFamily(
            "digestbot_subscribers", "Subscribers by state", labels=["state"]
        )
        subscribers.add_metric(["active"], counts["subscribers"])
        subscribers.add_metric(["inactive"], counts["subscribers_inactive"])
        yield subscribers
        feeds = GaugeMetricFamily("digestbot_feeds", "Feeds by state", labels=["state"])
        feeds.add_metric(["enabled"], counts["feeds"])
        feeds.add_metric(["disabled"], counts["feeds_disabled"])
        feeds.add_metric(["failing"], counts["feeds_failing"])
        yield feeds
        outbox = GaugeMetricFamily(
            "digestbot_outbox_entries", "Outbox entries", labels=["platform", "status"]
        )
        for platform, row in sorted(self.outbox.items()):
            for status, value in sorted(row.items()):
                outbox.add_metric([platform, status], value)
        yield outbox
        # The all-time totals, not the rows /forget deletes: a counter that went down
        # would be read by rate() and increase() as a reset, every sign-up left counted
        # again as new.
        signups = CounterMetricFamily(
            "digestbot_signups",
            "Chats whose first subscription came through a subscribe link (Telegram), "
            "ever counted; /forget does not lower it",
            labels=["link", "source"],
        )
        for row in self.signups:
            signups.add_metric([row.link, row.source], row.count)
        yield signups
        if self.model is not None and self.model.shown:
            yield from _model_metrics(self.model)


def _model_metrics(day: ModelDay) -> Iterator[Metric]:
    """The model's counters of today (UTC): they start again from 0 each day, which
    rate() and increase() read as a counter reset. Reason labels are cleaned by
    ``digests.stats.reason_label`` (the store's text, never trusted as a label)."""
    yield CounterMetricFamily(
        "digestbot_llm_calls", "Model calls made today (UTC)", value=day.calls
    )
    tokens = CounterMetricFamily(
        "digestbot_llm_tokens",
        "Tokens the model's API reported today (UTC), by kind",
        labels=["kind"],
    )
    tokens.add_metric(["prompt"], day.prompt_tokens)
    tokens.add_metric(["completion"], day.completion_tokens)
    yield tokens
    yield CounterMetricFamily(
        "digestbot_llm_cache_hits",
        "Stories shown with a stored model summary today (UTC)",
        value=day.cache_hits,
    )
    fallbacks = CounterMetricFamily(
        "digestbot_llm_fallbacks",
        "Stories shown with the sources' own summary instead of the model's today (UTC), by reason",
        labels=["reason"],
    )
    for reason, count in day.fallbacks:
        fallbacks.add_metric([reason], count)
    yield fallbacks
    yield GaugeMetricFamily(
        "digestbot_llm_budget_remaining_tokens",
        "Tokens left of today's budget (LLM_DAILY_TOKEN_BUDGET)",
        value=day.budget_left,
    )


# The address a refused connection names, as Python's socket errors show it
# (``Connect call failed ('10.0.0.5', 5432)``; IPv6 tuples have four parts).
_ADDRESS = re.compile(r"\s*\('[^']*'(?:, \d+)+\)")


def public_problem(problem: str) -> str:
    """``problem`` as the public /healthz shows it: without the database server's address
    (the log line keeps it)."""
    return _ADDRESS.sub("", problem)


# Set by ``digestbot run`` (bot.runner.api): which of its long-lived parts are down.
LIVENESS = web.AppKey("liveness", Liveness)


async def healthz(request: web.Request) -> web.Response:
    """503 while the database is lost or does not answer (a PostgreSQL server down or
    out of reach: the store's health check asks it), or a long-lived part (the delivery
    worker) is down."""
    problem = await deps(request).store.health()
    liveness = request.app.get(LIVENESS)
    if problem is None and liveness is not None:
        problem = liveness.problem()
    if problem is not None:
        log.error("health check failed: %s", problem)
        return web.json_response(
            {"status": "unavailable", "error": public_problem(problem)}, status=503
        )
    return web.json_response({"status": "ok"})


async def metrics(request: web.Request) -> web.Response:
    found = deps(request)
    store = found.store
    model = await model_day_of(store, found.settings, now=found.clock.now())
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        _Snapshot(
            await store.counts(),
            await store.outbox_counts(),
            await store.signup_totals(),
            model,
        )
    )
    return web.Response(
        body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )


async def stats(request: web.Request) -> web.Response:
    found = deps(request)
    store = found.store
    now = found.clock.now()
    processes = await processes_of(store, now=now, stale_after=found.settings.cluster.leader_lease)
    crowds = await crowds_ahead(store, found.settings, now=now)
    return web.json_response(
        {
            "counts": await store.counts(),
            "outbox": await store.outbox_counts(),
            "last_dispatch_at": await store.get_meta("last_dispatch_at"),
            "signups": [
                {"link": c.link, "source": c.source, "count": c.count}
                for c in await store.signup_counts()
            ],
            # Every process sharing the database: its roles, sends in flight, heartbeat.
            "processes": [p.as_json() for p in processes],
            # Crowds of the next hours: dispatched early, or expected after their minute.
            "forecast": crowds.as_json(),
            # The model's day (UTC): calls, tokens, cache hits, fallbacks, budget left.
            "summaries": (await model_day_of(store, found.settings, now=now)).as_json(),
        }
    )
