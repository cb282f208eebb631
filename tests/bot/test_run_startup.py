"""``digestbot run`` as a real process, started with a broken set-up or against platforms
that refuse its tokens: a broken set-up is one line on stderr and exit 2, never a
traceback or a half-started bot; a refused token is never printed, on stdout or stderr."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from digests.store import Store
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegram
from tests.processes import read_until, run_until_platforms_off, start_digestbot_run

TELEGRAM_TOKEN = "987654:startup-test-token-that-must-never-be-printed"
DISCORD_TOKEN = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhIjKl.startup-token-never-to-be-printed-x"
API_TOKEN = "api-token-for-the-startup-tests"


def run_briefly(
    folder: Path, settings: dict[str, str], *before: str, timeout: float = 30
) -> tuple[int, str, str]:
    """``digestbot [before…] run`` in ``folder``; it must end by itself (a broken set-up)
    within ``timeout`` seconds. Returns (exit status, stdout, stderr)."""
    exe = shutil.which("digestbot", path=str(Path(sys.executable).parent))
    assert exe
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'bot.db'}",
        "FEEDS_FILE": str(folder / "none.toml"),
        **settings,
    }
    try:
        done = subprocess.run(
            [exe, *before, "run"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"digestbot run started anyway: {exc.stdout!r}") from None
    return done.returncode, done.stdout, done.stderr


def one_error_line(code: int, err: str) -> str:
    """The single error line of a refused start, checked to be just that."""
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("digestbot: error: "), err
    return lines[0]


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something else already listens on."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


@pytest.mark.parametrize(
    ("template", "content", "says"),
    [
        ("plain/digest.txt.j2", "{% if %}", "plain/digest.txt.j2 failed: Expected an expression"),
        ("telegram/story.html.j2", "{{ 1/0 }}", "telegram/story.html.j2 failed: division by"),
        ("discord/help.md.j2", b"\xff\xfe caf\xe9", "discord/help.md.j2 failed: not UTF-8"),
        (
            "plain/breaking.txt.j2",
            "{% include 'breaking.txt.j2' %}",
            "plain/breaking.txt.j2 failed: it includes itself",
        ),
    ],
)
def test_a_template_that_fails_stops_the_start(
    tmp_path: Path, template: str, content: str | bytes, says: str
) -> None:
    path = tmp_path / "templates" / template
    path.parent.mkdir(parents=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    code, out, err = run_briefly(tmp_path, {"TEMPLATES_DIR": str(tmp_path / "templates")})
    assert says in one_error_line(code, err)
    assert "digestbot running" not in out


def test_an_api_bind_in_use_is_one_line_and_nothing_keeps_running(
    tmp_path: Path, listening_port: int
) -> None:
    code, out, err = run_briefly(
        tmp_path,
        {
            "API_TOKEN": API_TOKEN,
            "API_BIND": f"127.0.0.1:{listening_port}",
            # The Telegram adapter would start too: its failure must not add tracebacks.
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
        },
    )
    line = one_error_line(code, err)
    assert f"API_BIND 127.0.0.1:{listening_port}: cannot listen" in line
    assert "in use" in line
    assert "admin API on" not in out and "stopped" not in out


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"API_BIND": "127.0.0.1:99999"}, "API_BIND: port must be 1-65535"),
        # A host name no resolver accepts (a 64-character label), found without any DNS.
        ({"API_BIND": "a" * 64 + ".example:8080"}, "cannot listen"),
        ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL must be one of DEBUG, INFO"),
        ({"FEED_DEFAULT_INTERVAL": "99999999999999d"}, "FEED_DEFAULT_INTERVAL: duration too"),
        ({"TELEGRAM_ADMIN_IDS": "9" * 5000}, "TELEGRAM_ADMIN_IDS must be comma-separated"),
        ({"DIGEST_MAX_STORIES": "9" * 5000}, "DIGEST_MAX_STORIES must be at most"),
        ({"RETENTION_DAYS": "99999999999"}, "RETENTION_DAYS must be at most"),
        ({"TEMPLATES_DIR": "no-such-folder"}, "TEMPLATES_DIR no-such-folder is not a folder"),
    ],
)
def test_unusable_settings_are_one_line(
    tmp_path: Path, settings: dict[str, str], says: str
) -> None:
    code, out, err = run_briefly(tmp_path, {"API_TOKEN": API_TOKEN, **settings})
    assert says in one_error_line(code, err)
    assert "admin API on" not in out


def test_a_database_whose_folder_is_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    code, _, err = run_briefly(
        tmp_path, {"DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'bot.db'}"}
    )
    assert "is a file" in one_error_line(code, err)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` unwritable even for root (the immutable flag), then writable again."""
    path.chmod(0o444)
    immutable = os.geteuid() == 0
    if immutable:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        with pytest.raises(PermissionError):
            path.open("r+b").close()
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o644)


async def test_a_read_only_database_is_one_line(tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    await (await Store.open(database)).close()
    with read_only(database):
        code, _, err = run_briefly(tmp_path, {})
    assert "cannot write to database" in one_error_line(code, err)
    assert "readonly" in err


def test_a_missing_env_file_named_explicitly_is_an_error(tmp_path: Path) -> None:
    code, _, err = run_briefly(tmp_path, {}, "--env-file", str(tmp_path / "prod.env"))
    assert "prod.env does not exist" in one_error_line(code, err)
    # The default .env may be absent: that start fails only on its own (broken) setting.
    code, _, err = run_briefly(tmp_path, {"LOG_LEVEL": "loud"})
    assert "LOG_LEVEL" in one_error_line(code, err)


async def test_ipv6_api_bind_serves(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET6) as probe:
        probe.bind(("::1", 0))
        port = probe.getsockname()[1]
    process = await start_digestbot_run(
        tmp_path,
        tmp_path / "bot.db",
        {"API_TOKEN": API_TOKEN, "API_BIND": f"[::1]:{port}"},
    )
    try:
        assert process.stdout is not None
        seen = await read_until(process.stdout, "admin API on")
        assert f"admin API on http://[::1]:{port}" in seen
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://[::1]:{port}/healthz") as response,
        ):
            assert response.status == 200
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, err.decode()


@pytest.mark.parametrize(("telegram", "discord"), [(401, 401), (404, 404), (502, 503)])
async def test_refused_tokens_are_never_printed(
    tmp_path: Path,
    local_server,  # type: ignore[no-untyped-def]
    telegram: int,
    discord: int,
) -> None:
    """Both platforms refuse, echoing the request path and headers (token included) in
    the error; the bot says each platform is off, and prints neither token. (discord.py
    retries a 502 for 25 s before it gives up, so Discord's 5xx here is a 503.)"""
    fake_telegram = FakeTelegram(token=TELEGRAM_TOKEN, refuse=telegram)
    fake_discord = FakeDiscord(token=DISCORD_TOKEN, refuse=discord)
    telegram_base = await local_server(fake_telegram.app())
    discord_base = await local_server(fake_discord.app())
    stdout, stderr, status = await run_until_platforms_off(
        tmp_path, (TELEGRAM_TOKEN, telegram_base), (DISCORD_TOKEN, discord_base)
    )
    assert status == 0, stderr[-2000:]
    assert "telegram commands off" in stdout and "discord off" in stdout
    assert fake_telegram.echoed and fake_discord.echoed  # the token was sent back to it
    for token in (TELEGRAM_TOKEN, DISCORD_TOKEN):
        assert stdout.count(token) == 0 and stderr.count(token) == 0
    assert "[REDACTED]" in stdout
