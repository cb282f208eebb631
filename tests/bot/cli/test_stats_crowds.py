"""``digestbot stats`` shows the crowds of the next hours: readers due at one minute on one
platform, how early they are dispatched, and their expected latest arrival."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.overview import write_crowds
from digests.stats import CrowdView, Forecast
from digests.store import Store
from tests.conftest import NOW

SEVEN = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def crowd(readers: int, lead_s: float, latest_s: float, platform: str = "telegram") -> CrowdView:
    return CrowdView(platform, SEVEN, readers, lead_s * S, latest_s * S)


@pytest.mark.parametrize(
    ("forecast", "lines"),
    [
        (Forecast(6, ()), ["crowds       none in the next 6h"]),
        (
            Forecast(6, (crowd(20_000, 790.4, 28.3), crowd(90_000, 1800, 4000, "discord")), 3),
            [
                "crowds       next 6h, UTC",
                "platform  due at             readers  lead      latest arrival",
                "telegram  2026-12-02 07:00     20000  13m10s    +28s",
                "discord   2026-12-02 07:00     90000  30m       +1h6m (late)",
                "… 3 more",
            ],
        ),
        # Planning off: no lead; done before the minute: a minus sign.
        (
            Forecast(2, (crowd(5_000, 0, 700), crowd(10, 300, -200.0))),
            [
                "crowds       next 2h, UTC",
                "platform  due at             readers  lead      latest arrival",
                "telegram  2026-12-02 07:00      5000  -         +11m40s (late)",
                "telegram  2026-12-02 07:00        10  5m        -3m20s",
            ],
        ),
    ],
)
def test_write_crowds(forecast: Forecast, lines: list[str]) -> None:
    out = io.StringIO()
    write_crowds(out, forecast)
    assert [line.strip() for line in out.getvalue().strip("\n").splitlines()] == lines


async def crowd_in_ten_minutes(database: Path, readers: int) -> datetime:
    due = (datetime.now(UTC) + timedelta(minutes=10)).replace(second=0, microsecond=0)
    store = await Store.open(database)
    try:
        for chat in range(readers):
            sub = await store.upsert_subscriber("telegram", str(chat), now=NOW)
            await store.update_subscriber(sub.id, now=NOW, next_digest_at=due)
    finally:
        await store.close()
    return due


def test_stats_shows_a_crowd_too_large_for_the_lead(
    clean_cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_cwd / "feeds.toml").write_text('[categories.climate]\nname = "Climate"\n')
    assert run("init")[0] == 0
    assert "crowds       none in the next 6h" in run("stats")[1]
    # 300 readers at 0.085 messages/s need an hour: more than the 30 minutes of lead.
    due = asyncio.run(crowd_in_ten_minutes(clean_cwd / "digestbot.db", 300))
    monkeypatch.setenv("TELEGRAM_MAX_RATE", "0.1")
    status, out = run("stats")
    assert status == 0
    row = out.split("\ncrowds", 1)[1].splitlines()[2].split()
    assert row[:5] == ["telegram", f"{due:%Y-%m-%d}", f"{due:%H:%M}", "300", "30m"]
    assert row[-1] == "(late)"
