"""The retention job of ``digestbot run`` also clears old audit entries, after their own
AUDIT_RETENTION_DAYS (refused API attempts alone once grew the audit log without limit), and
the console's counts of sends per minute older than two days."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from bot.run import Runner
from bot.wiring import open_app
from digests.settings import DeliveryLimits, Settings, load_settings
from digests.timeutil import FakeClock
from tests.conftest import NOW


async def test_retention_purges_audit_entries_after_their_own_period(tmp_path: Path) -> None:
    settings = Settings(
        database_path=tmp_path / "r.db",
        delivery=DeliveryLimits(retention=timedelta(days=1), audit_retention=timedelta(days=30)),
    )
    async with open_app(settings, clock=FakeClock(NOW)) as app:
        for age in (timedelta(days=31), timedelta(days=2)):
            await app.store.audit(
                actor="api:203.0.113.9",
                platform="api",
                action="GET /api/stats",
                outcome="refused",
                now=NOW - age,
            )
        runner = Runner(app, io.StringIO())
        await runner.retention()  # not leading yet: nothing goes
        assert len(await app.store.audit_log()) == 2
        await runner.roles.step()  # alone on the database: it leads
        await runner.retention()
        # Two days old: past article retention (1 day), within audit retention (30 days).
        assert [entry.at for entry in await app.store.audit_log()] == [NOW - timedelta(days=2)]


def test_audit_retention_is_a_setting() -> None:
    assert load_settings({}).delivery.audit_retention == timedelta(days=365)
    loaded = load_settings({"AUDIT_RETENTION_DAYS": "7"})
    assert loaded.delivery.audit_retention == timedelta(days=7)


async def test_retention_keeps_two_days_of_sends_per_minute(tmp_path: Path) -> None:
    async with open_app(Settings(database_path=tmp_path / "r.db"), clock=FakeClock(NOW)) as app:
        for age in (timedelta(hours=49), timedelta(hours=47)):
            await app.store.count_limited("telegram", now=NOW - age)
        runner = Runner(app, io.StringIO())
        await runner.roles.step()
        await runner.retention()
        assert await app.store.limited_since(NOW - timedelta(days=3)) == {"telegram": 1}
