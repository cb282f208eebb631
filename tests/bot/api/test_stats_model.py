"""/api/stats's "summaries" and /metrics' digestbot_llm_* families: the model's calls,
tokens, cache hits, fallbacks by reason and budget left today (UTC); a reason from the
store is a clean label value whatever it holds."""

from __future__ import annotations

from datetime import timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot.api import Api
from digests.llm_settings import LlmSettings
from digests.render import Renderer
from digests.settings import Settings
from digests.store import Store
from digests.timeutil import FakeClock
from tests.bot.api.conftest import ADMIN_AUTH, ADMIN_TOKEN
from tests.conftest import NOW

OFF = Settings(api_token=ADMIN_TOKEN)
ON = Settings(
    api_token=ADMIN_TOKEN,
    llm=LlmSettings(base_url="http://127.0.0.1:9/v1", daily_token_budget=50_000),
)
HOSTILE = 'x"}\n# TYPE evil counter\nevil{a="\\'
USAGE = {
    "calls": 5,
    "prompt_tokens": 4_000,
    "completion_tokens": 600,
    "cache_hits": 30,
    "fallback:not_ready": 9,
    f"fallback:{HOSTILE}": 1,
}


async def fetch(store: Store, local_server, settings: Settings) -> tuple[dict, str]:  # type: ignore[no-untyped-def, type-arg]
    api = Api(store, Renderer(), settings, FakeClock(NOW))
    base = await local_server(api.app())
    async with httpx.AsyncClient(base_url=base) as client:
        stats = await client.get("/api/stats", headers=ADMIN_AUTH)
        metrics = await client.get("/metrics")
    assert stats.status_code == metrics.status_code == 200
    return stats.json(), metrics.text


def llm_samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every digestbot_llm_* sample by (name, labels); the families' types checked."""
    found = {}
    for family in text_string_to_metric_families(text):
        if not family.name.startswith("digestbot_llm"):
            continue
        gauge = family.name == "digestbot_llm_budget_remaining_tokens"
        assert family.type == ("gauge" if gauge else "counter"), family.name
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_stats_and_metrics_show_today(store: Store, local_server) -> None:  # type: ignore[no-untyped-def]
    await store.add_llm_usage(NOW.date(), USAGE)
    await store.add_llm_usage(NOW.date() - timedelta(days=1), {"calls": 1_000})
    stats, metrics = await fetch(store, local_server, ON)
    assert stats["summaries"] == {
        "enabled": True,
        "day": "2026-11-27",
        "calls": 5,
        "prompt_tokens": 4_000,
        "completion_tokens": 600,
        "tokens": 4_600,
        "cache_hits": 30,
        "fallbacks": {"not_ready": 9, "x_TYPE_evil_counter_evil_a": 1},
        "budget": 50_000,
        "budget_left": 45_400,
    }
    assert llm_samples(metrics) == {
        ("digestbot_llm_calls_total", ()): 5.0,
        ("digestbot_llm_tokens_total", (("kind", "prompt"),)): 4_000.0,
        ("digestbot_llm_tokens_total", (("kind", "completion"),)): 600.0,
        ("digestbot_llm_cache_hits_total", ()): 30.0,
        ("digestbot_llm_fallbacks_total", (("reason", "not_ready"),)): 9.0,
        ("digestbot_llm_fallbacks_total", (("reason", "x_TYPE_evil_counter_evil_a"),)): 1.0,
        ("digestbot_llm_budget_remaining_tokens", ()): 45_400.0,
    }
    assert "evil{" not in metrics and "# TYPE evil" not in metrics


async def test_no_model_and_nothing_counted(store: Store, local_server) -> None:  # type: ignore[no-untyped-def]
    stats, metrics = await fetch(store, local_server, OFF)
    assert stats["summaries"]["enabled"] is False
    assert stats["summaries"]["calls"] == 0 and stats["summaries"]["fallbacks"] == {}
    assert llm_samples(metrics) == {}
    assert "digestbot_articles" in metrics  # the store's figures are still there


async def test_counters_left_from_a_model_since_turned_off(store: Store, local_server) -> None:  # type: ignore[no-untyped-def]
    await store.add_llm_usage(NOW.date(), {"fallback:breaker_open": 3})
    stats, metrics = await fetch(store, local_server, OFF)
    assert stats["summaries"]["fallbacks"] == {"breaker_open": 3}
    samples = llm_samples(metrics)
    assert samples[("digestbot_llm_fallbacks_total", (("reason", "breaker_open"),))] == 3.0
    assert samples[("digestbot_llm_calls_total", ())] == 0.0
