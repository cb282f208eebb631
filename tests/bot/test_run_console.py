"""``digestbot run`` serves the web console on API_BIND once a console account exists,
even without API_TOKEN (then every /api/* request is refused); with neither, it listens
nowhere."""

from __future__ import annotations

import io
from pathlib import Path

import httpx

from bot.run import Runner
from bot.wiring import open_app
from digests.settings import Settings
from tests.bot.test_run_api_identity import free_port
from tests.conftest import NOW


async def test_a_console_account_alone_starts_the_console(tmp_path: Path) -> None:
    port = free_port()
    settings = Settings(database_path=tmp_path / "bot.db", api_bind=f"127.0.0.1:{port}")
    async with open_app(settings) as app:
        out = io.StringIO()
        runner = Runner(app, out)
        await runner.start_api()
        assert runner.api_runner is None and out.getvalue() == ""  # no token, no account
        await app.store.add_console_user(
            "ed", role="editor", password_hash="x", must_change=False, now=NOW
        )
        await runner.start_api()
        try:
            assert out.getvalue() == f"console on http://127.0.0.1:{port}/console/\n"
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                assert (await client.get("/console/login")).status_code == 200
                refused = await client.get("/api/stats", headers={"Authorization": "Bearer x"})
                assert refused.status_code == 401
        finally:
            await runner.api_runner.cleanup()
