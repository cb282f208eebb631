"""``digestbot run`` as a real process: a due digest reaches the fake Telegram server, and
SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digests.ingest.importer import import_records
from digests.models import Category
from digests.store import Store
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "987654:run-test-token-that-must-never-be-logged-xyz"


async def prepare(db: Path) -> int:
    now = datetime.now(UTC)
    store = await Store.open(db)
    try:
        await store.upsert_category(Category("climate", "Climate"))
        await import_records(
            store,
            [
                (
                    1,
                    {
                        "url": "https://cms.example/heat",
                        "title": "Heat pumps & gas boilers",
                        "category": "climate",
                        "source": "Desk",
                        "published_at": (now - timedelta(hours=1)).isoformat(),
                    },
                )
            ],
            now=now,
            story_window=timedelta(hours=48),
        )
        reader = await store.upsert_subscriber("telegram", "555", now=now)
        await store.subscribe(reader.id, ["climate"], now=now)
        await store.update_subscriber(reader.id, now=now, next_digest_at=now - timedelta(minutes=1))
        return reader.id
    finally:
        await store.close()


async def test_run_delivers_a_due_digest_and_stops_on_sigterm(
    tmp_path: Path,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    fake = FakeTelegram(token=TOKEN)
    base = await local_server(fake.app())
    db = tmp_path / "bot.db"
    reader = await prepare(db)
    exe = shutil.which("digestbot", path=str(Path(sys.executable).parent))
    assert exe
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"{base}/bot",
        "FEEDS_FILE": str(tmp_path / "none.toml"),
        "LOG_LEVEL": "DEBUG",
    }
    process = await asyncio.create_subprocess_exec(
        exe,
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        for _ in range(200):
            if fake.messages:
                break
            await asyncio.sleep(0.05)
        assert fake.messages, "no digest arrived"
        await asyncio.sleep(0.3)  # let it record the delivery
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, err.decode()
    stdout = out.decode()
    assert "adapters: console; telegram (delivery)" in stdout and "stopped" in stdout
    (message,) = fake.messages
    assert message["chat_id"] == "555" and "Heat pumps &amp; gas boilers" in message["text"]
    assert TOKEN not in err.decode() and TOKEN not in stdout
    store = await Store.open(db)
    try:
        assert await store.outbox_counts() == {"telegram": {"sent": 1}}
        loaded = await store.get_subscriber(reader)
        assert loaded.cursor_article_id == 1
        assert loaded.next_digest_at and loaded.next_digest_at > datetime.now(UTC)
    finally:
        await store.close()


async def test_admin_notes_go_to_the_configured_chat() -> None:
    from bot.run import admin_notifier
    from tests.conftest import RecordingSender

    sender = RecordingSender("telegram")
    notify = admin_notifier("telegram:-100500", {"telegram": sender})
    assert notify is not None
    await notify("chat 42 deactivated")
    ((destination, message),) = sender.sent
    assert destination.chat_id == "-100500" and message.text == "chat 42 deactivated"
    assert admin_notifier("discord:1", {"telegram": sender}) is None
    assert admin_notifier(None, {"telegram": sender}) is None
