"""``digestbot stats`` on a DATABASE_URL several processes share lists them: name, roles,
sends in flight, last heartbeat, and which have gone silent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from digests.dburl import PostgresUrl
from digests.store import Store

# Not the fake clock: the command reads the system's. A heartbeat ahead of it counts as
# just now, and one a day old is stale however long the command takes to start.
AHEAD = datetime.now(UTC) + timedelta(hours=1)
A_DAY_AGO = datetime.now(UTC) - timedelta(days=1)


async def beat(target: Path | PostgresUrl) -> None:
    store = await Store.open(target)
    try:
        await store.beat(
            "web-1:41",
            roles=("leader", "sender:telegram"),
            in_flight=3,
            started_at=A_DAY_AGO,
            now=AHEAD,
        )
        await store.beat(
            "web-2:\x1b[2J", roles=(), in_flight=0, started_at=A_DAY_AGO, now=A_DAY_AGO
        )
    finally:
        await store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, clean_cwd: Path) -> Path | PostgresUrl:
    if request.param == "postgresql":
        url: PostgresUrl = request.getfixturevalue("postgres_url")
        return url
    return clean_cwd / "shared.db"


def url_of(target: Path | PostgresUrl) -> str:
    return target.dsn if isinstance(target, PostgresUrl) else f"sqlite:///{target}"


def test_stats_lists_the_processes(
    database: Path | PostgresUrl,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", url_of(database))
    assert main(["init"]) == 0
    assert main(["stats"]) == 0
    assert "processes    none running" in capsys.readouterr().out

    asyncio.run(beat(database))
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    section = out[out.index("\nprocesses") + 1 :].splitlines()
    assert section[0].split() == ["processes", "name", "roles", "in", "flight", "last", "heartbeat"]
    first, second = section[1].split(), section[2].split()
    assert first[:3] == ["web-1:41", "leader,sender:telegram", "3"]
    assert section[1].endswith("(0s ago)")
    # A name is shown escaped: it cannot clear the terminal.
    assert second[:3] == ["web-2:\\x1b[2J", "-", "0"] and "\x1b" not in out
    assert "(1d" in section[2] and section[2].endswith(" ago, stale)")
