"""``digestbot run`` as a real process never prints a token's secret part on its own
(red-team 1): an unusable Bot API address is refused before anything starts, and a server
that echoes only the part after a Telegram token's ':' or a Discord token's last segment
finds it redacted on stdout and stderr."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from aiohttp import web

from tests.bot.test_run_startup import one_error_line, run_briefly
from tests.fakes.telegram_api import FakeTelegram
from tests.processes import read_until, run_until_platforms_off, start_digestbot_run

TELEGRAM_TOKEN = "987654:AAAAsecret-half-of-the-telegram-token-x"
TELEGRAM_SECRET = TELEGRAM_TOKEN.split(":")[1]
DISCORD_TOKEN = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhIjKl.discord-secret-segment-never-printed"
DISCORD_SECRET = DISCORD_TOKEN.split(".")[2]
SECRETS = (TELEGRAM_TOKEN, TELEGRAM_SECRET, DISCORD_TOKEN, DISCORD_SECRET)


@pytest.mark.parametrize("base", ["http://localhost", "ftp://x", "http://localhost:99999/bot"])
def test_an_unusable_bot_api_address_is_one_line_and_prints_no_token(
    tmp_path: Path, base: str
) -> None:
    """``http://localhost`` + token made ``http://localhost987654:<secret>``, and httpx's
    "Invalid port: '<secret>'" reached stdout and stderr; now the start is refused."""
    code, out, err = run_briefly(
        tmp_path, {"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_API_BASE_URL": base}
    )
    assert one_error_line(code, err).startswith("digestbot: error: TELEGRAM_API_BASE_URL ")
    assert "digestbot running" not in out
    for secret in SECRETS:
        assert secret.lower() not in (out + err).lower()


def echoing_the_secret_part(part: str, *, discord: bool) -> web.Application:
    """A server refusing every request with an error that quotes ``part`` alone."""

    async def refuse(request: web.Request) -> web.Response:
        if discord:
            return web.json_response({"message": f"segment {part} refused", "code": 0}, status=400)
        body = {"ok": False, "error_code": 400, "description": f"Bad Request: part {part}"}
        return web.json_response(body, status=400)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", refuse)
    return app


async def test_a_tokens_secret_part_echoed_alone_is_never_printed(
    tmp_path: Path,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    telegram_base = await local_server(echoing_the_secret_part(TELEGRAM_SECRET, discord=False))
    discord_base = await local_server(echoing_the_secret_part(DISCORD_SECRET, discord=True))
    stdout, stderr, status = await run_until_platforms_off(
        tmp_path, (TELEGRAM_TOKEN, telegram_base), (DISCORD_TOKEN, discord_base)
    )
    assert status == 0, stderr[-2000:]
    # Each platform's refusal was printed, with the part it quoted redacted.
    assert "telegram commands off: Part [REDACTED]" in stdout, stdout
    assert "discord off: " in stdout and "segment [REDACTED] refused" in stdout, stdout
    for secret in SECRETS:  # in any case: Telegram's errors are capitalize()d
        assert secret.lower() not in stdout.lower() and secret.lower() not in stderr.lower()


async def test_a_bot_api_502_page_is_one_log_line_without_traceback(
    tmp_path: Path,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    """Red-team 10: a proxy's 502 HTML page (echoing the token) made python-telegram-bot
    log "Can not load invalid JSON data" with a traceback; now one redacted line."""
    fake = FakeTelegram(token=TELEGRAM_TOKEN, refuse=502)
    base = await local_server(fake.app())
    process = await start_digestbot_run(
        tmp_path,
        tmp_path / "bot.db",
        {"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_API_BASE_URL": f"{base}/bot"},
    )
    try:
        assert process.stdout is not None
        await read_until(process.stdout, "telegram commands off")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 20)
    stderr = err.decode()
    assert process.returncode == 0, stderr[-2000:]
    assert fake.echoed
    lines = [line for line in stderr.splitlines() if "not JSON" in line]
    assert lines and all("/bot[REDACTED]/getMe" in line for line in lines)
    # (Another traceback, apscheduler's CancelledError at the stop, is red-team 9's.)
    assert "JSONDecodeError" not in stderr and "Can not load invalid JSON" not in stderr
    assert "json/decoder.py" not in stderr and "_baserequest.py" not in stderr, stderr
    assert TELEGRAM_SECRET.lower() not in stderr.lower()
