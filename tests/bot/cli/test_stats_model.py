"""``digestbot stats`` shows the model's day: calls, tokens, cache hits, budget left and
fallbacks by reason; nothing when no model is configured and nothing was counted."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.cli import main
from bot.cli.overview import write_model
from digests.stats import model_day
from digests.store import Store
from tests.conftest import NOW


def written(usage: dict[str, int], *, enabled: bool) -> list[str]:
    out = io.StringIO()
    write_model(out, model_day(usage, day=NOW.date(), enabled=enabled, budget=300_000))
    return out.getvalue().splitlines()


def test_the_block_names_every_figure() -> None:
    usage = {
        "calls": 1_204,
        "prompt_tokens": 250_000,
        "completion_tokens": 40_000,
        "cache_hits": 9_000,
        "fallback:not_ready": 31,
        "fallback:\x1b[2Jwrong": 2,
    }
    assert written(usage, enabled=True) == [
        "",
        "model        2026-11-27 (UTC)",
        "             calls 1,204, tokens 290,000 (prompt 250,000, completion 40,000), "
        "cache hits 9,000",
        "             budget left 10,000 of 300,000 tokens",
        "             fallbacks not_ready 31, 2Jwrong 2",
    ]


def test_nothing_without_a_model_and_counters_once_it_is_off() -> None:
    assert written({}, enabled=False) == []
    assert written({"fallback:budget": 4}, enabled=False) == [
        "",
        "model        2026-11-27 (UTC), model off (LLM_BASE_URL unset)",
        "             calls 0, tokens 0 (prompt 0, completion 0), cache hits 0",
        "             budget left 300,000 of 300,000 tokens",
        "             fallbacks budget 4",
    ]


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


async def count(database: Path) -> None:
    """The same counters yesterday, today and tomorrow (UTC): the command reads the real
    clock, and a run across midnight still finds them."""
    store = await Store.open(database)
    try:
        today = datetime.now(UTC).date()
        for day in (today - timedelta(days=1), today, today + timedelta(days=1)):
            await store.add_llm_usage(day, {"calls": 3, "fallback:timeout": 1})
    finally:
        await store.close()


def test_stats_shows_the_model_block(clean_cwd: Path) -> None:
    (clean_cwd / "feeds.toml").write_text('[categories.climate]\nname = "Climate"\n')
    assert run("init")[0] == 0
    assert "\nmodel " not in run("stats")[1]
    asyncio.run(count(clean_cwd / "digestbot.db"))
    status, out = run("stats")
    assert status == 0
    block = out.split("\nmodel        ", 1)[1].splitlines()
    assert block[0].endswith("(UTC), model off (LLM_BASE_URL unset)")
    assert block[1].split(",")[0].split() == ["calls", "3"]
    assert block[3].split() == ["fallbacks", "timeout", "1"]
