"""``digestbot audit`` shows how many refusals a row stands for (issue 19 item 10: one
row per actor a minute, with a count)."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from pathlib import Path

from bot.cli import main
from digests.store import Store
from tests.conftest import NOW


def test_audit_shows_the_count_of_a_refusal_row(clean_cwd: Path) -> None:
    assert main(["init"], out=io.StringIO()) == 0

    async def refuse() -> None:
        store = await Store.open(clean_cwd / "digestbot.db")
        try:
            for second in range(300):
                await store.audit_refusal(
                    actor="discord:66",
                    platform="discord",
                    action="/news stats",
                    detail="not a bot admin",
                    now=NOW + timedelta(milliseconds=100 * second),
                )
        finally:
            await store.close()

    asyncio.run(refuse())
    out = io.StringIO()
    assert main(["audit"], out=out) == 0
    [line] = out.getvalue().splitlines()
    assert "discord:66" in line and "refused — not a bot admin (×300)" in line
