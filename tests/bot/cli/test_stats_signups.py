"""``digestbot stats`` shows the chats each subscribe link brought in, per link and source."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from bot.cli import main
from digests.store import Store
from tests.conftest import NOW


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


async def sign_up(database: Path) -> str:
    store = await Store.open(database)
    try:
        code = await store.add_link(["climate"], source="website", now=NOW)
        for chat, link, source in [("1", "climate", ""), ("2", code.code, "website")]:
            sub = await store.upsert_subscriber("telegram", chat, now=NOW)
            await store.record_signup(sub.id, link, source=source)
        return code.code
    finally:
        await store.close()


def test_stats_lists_signups_per_link_and_source(clean_cwd: Path) -> None:
    (clean_cwd / "feeds.toml").write_text('[categories.climate]\nname = "Climate"\n')
    assert run("init")[0] == 0
    assert "sign-ups     none yet" in run("stats")[1]
    code = asyncio.run(sign_up(clean_cwd / "digestbot.db"))
    status, out = run("stats")
    assert status == 0
    section = out.split("\nsign-ups", 1)[1].splitlines()
    assert section[0].split() == ["link", "source", "chats"]
    rows = sorted(line.split() for line in section[1:3])
    assert rows == sorted([["climate", "-", "1"], [code, "website", "1"]])
