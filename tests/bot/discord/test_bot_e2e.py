"""The Discord bot end to end: the real ``digestbot run`` process logs in to the local fake
Discord REST API, opens two gateway shards on the fake gateway, syncs its commands to the
development server, answers slash commands sent as INTERACTION_CREATE events, delivers a
scheduled digest as embeds, and stops a server's channels when GUILD_DELETE says the bot
was removed."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from digests.timeutil import to_db
from tests.bot.discord.conftest import TOKEN
from tests.builders import seed_newsroom
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_interactions import MANAGE_CHANNELS, slash
from tests.processes import start_digestbot_run, until


async def test_digestbot_run_serves_discord(tmp_path: Path, local_server) -> None:  # type: ignore[no-untyped-def]
    fake = FakeDiscord(token=TOKEN)
    fake.guilds["500"] = {"system_channel": "599"}
    fake.guilds["501"] = {}
    base = await local_server(fake.app())
    db = tmp_path / "bot.db"
    await seed_newsroom(db)
    # A channel of a server that removed the bot while it was not running.
    sqlite3.connect(db).execute(
        "INSERT INTO subscribers (platform, chat_id, guild_id, created_at, updated_at) "
        "VALUES ('discord', '900', '502', '2026-01-01', '2026-01-01')"
    ).connection.commit()
    process = await start_digestbot_run(
        tmp_path,
        db,
        {
            "DISCORD_BOT_TOKEN": TOKEN,
            "DISCORD_API_BASE_URL": f"{base}/api/v10",
            "DISCORD_GATEWAY_URL": base.replace("http://", "ws://") + "/gateway",
            "DISCORD_SHARD_COUNT": "2",
            "DISCORD_GUILD_IDS": "500",
            "DISCORD_ADMIN_IDS": "7",
            "DISPATCH_INTERVAL_SECONDS": "1",
        },
    )

    async def ask(payload: dict[str, Any]) -> dict[str, Any]:
        await fake.dispatch("INTERACTION_CREATE", payload)
        return await until(
            lambda: next((r for r in fake.responses if r["interaction"] == payload["id"]), None)
        )

    def sql(query: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(db, timeout=10) as conn:
            return conn.execute(query, params).fetchall()

    try:
        await until(lambda: fake.connected == 2)
        assert sorted(i["shard"] for i in fake.identified) == [[0, 2], [1, 2]]
        assert [c["name"] for c in fake.synced["500"]] == ["news"]
        assert "global" not in fake.synced
        await until(lambda: sql("SELECT active FROM subscribers WHERE chat_id = '900'") == [(0,)])

        manager = {"permissions": MANAGE_CHANNELS, "channel_id": 600}
        answer = await ask(slash("news", "subscribe", {"category": "climate"}, **manager))
        assert answer["data"]["content"] == "Subscribed to Climate." and answer["data"]["flags"]
        member = await ask(slash("news", "pause", channel_id=600))
        assert "Manage Channels" in member["data"]["content"]
        elsewhere = {"permissions": MANAGE_CHANNELS, "channel_id": 700, "guild_id": 501}
        await ask(slash("news", "subscribe", {"category": "climate"}, **elsewhere))

        past = to_db(datetime.now(UTC) - timedelta(minutes=1))
        sql("UPDATE subscribers SET next_digest_at = ? WHERE chat_id = '600'", past)
        digest = await until(lambda: [m for m in fake.messages if m["channel"] == "600"])
        assert "Heat pumps overtake gas boilers" in json.dumps(digest[0]["embeds"])
        assert digest[0]["allowed_mentions"] == {"parse": []}

        await fake.dispatch("GUILD_DELETE", {"id": "500"})
        await until(lambda: sql("SELECT active FROM subscribers WHERE chat_id = '600'")[0][0] == 0)
        assert sql("SELECT active FROM subscribers WHERE chat_id = '700'") == [(1,)]
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, err.decode()[-2000:]
    assert TOKEN not in out.decode() + err.decode()
    assert "discord on as digestbot" in out.decode() and "commands: 500" in out.decode()
    assert fake.too_many == 0
