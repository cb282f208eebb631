"""``digestbot run``'s admin API answers /api/links with the identity the running bot
learnt (getMe, Discord's login), not only the settings' (issue 18)."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import httpx

from bot.runner.api import start_api
from bot.settings import PlatformSettings
from bot.wiring import open_app
from digests.models import Category
from digests.settings import Settings

TOKEN = "identity-test-token-0123456789"


def free_port() -> int:
    with socket.socket() as probe:  # API_BIND takes no port 0
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_api_uses_the_identity_the_runners_fill_in(tmp_path: Path) -> None:
    port = free_port()
    settings = Settings(
        database_path=tmp_path / "bot.db", api_token=TOKEN, api_bind=f"127.0.0.1:{port}"
    )
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with open_app(settings, platforms=PlatformSettings()) as app:
        await app.store.upsert_category(Category("climate", "Climate"))
        runner = await start_api(app, io.StringIO(), on_push=lambda: None)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                before = (await client.get("/api/links", headers=auth)).json()
                # What the Telegram runner does once getMe has answered.
                app.identity.telegram_username = "RunningNewsBot"
                after = (await client.get("/api/links", headers=auth)).json()
        finally:
            await runner.cleanup()
    assert before["links"][0]["telegram"] is None
    assert after["telegram_username"] == "RunningNewsBot"
    assert after["links"][0]["telegram"]["private"] == "https://t.me/RunningNewsBot?start=climate"
