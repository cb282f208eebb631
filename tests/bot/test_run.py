"""``digestbot run`` as a real process: a due digest reaches the fake Telegram server, and
SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digests.models import Category
from digests.store import Store
from tests.builders import add_article, due_reader
from tests.fakes.telegram_api import FakeTelegram
from tests.processes import start_digestbot_run, until

TOKEN = "987654:run-test-token-that-must-never-be-logged-xyz"


async def prepare(db: Path) -> int:
    now = datetime.now(UTC)
    store = await Store.open(db)
    try:
        await store.upsert_category(Category("climate", "Climate"))
        await add_article(
            store, url="https://cms.example/heat", title="Heat pumps & gas boilers", now=now
        )
        return await due_reader(store, "telegram", "555", ["climate"], now=now)
    finally:
        await store.close()


async def sent_entries(db: Path, timeout: float = 30.0) -> int:
    """Sent outbox entries, read by a second connection as soon as there are any (or at
    ``timeout``): the running process commits them in its own."""
    store = await Store.open(db)
    try:
        for _ in range(int(timeout / 0.05)):
            sent = (await store.outbox_counts()).get("telegram", {}).get("sent", 0)
            if sent:
                return sent
            await asyncio.sleep(0.05)
        return 0
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
    process = await start_digestbot_run(
        tmp_path,
        db,
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": f"{base}/bot",
            "LOG_LEVEL": "DEBUG",
        },
    )
    try:
        # Generous, as in the other end-to-end tests: the process starts on two cores shared
        # with the rest of the suite (10 s was once not enough under load).
        await until(lambda: fake.messages, timeout=30)
        # SIGTERM once the delivery is recorded, not after a guess at how long that takes.
        assert await sent_entries(db) == 1, "the delivery was never recorded"
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, err.decode()
    stdout = out.decode()
    assert "adapters: console; telegram;" in stdout
    assert (
        "telegram commands on (long polling) as @digest_test_bot" in stdout and "stopped" in stdout
    )
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
    assert admin_notifier(None, {"telegram": sender}) is None
    # A platform that joins after start (Discord logs in later) is looked up when needed.
    senders: dict[str, RecordingSender] = {}
    late = admin_notifier("discord:77", senders)  # type: ignore[arg-type]
    assert late is not None
    await late("not yet")  # nobody to tell yet: logged, not raised
    senders["discord"] = RecordingSender("discord")
    await late("now")
    assert [(d.chat_id, m.text) for d, m in senders["discord"].sent] == [("77", "now")]


async def test_runner_in_process_dispatches_polls_and_stops(tmp_path: Path) -> None:
    import io

    from bot.run import Runner
    from bot.wiring import open_app
    from digests.settings import Settings

    db = tmp_path / "inproc.db"
    now = datetime.now(UTC)
    store = await Store.open(db)
    await store.upsert_category(Category("climate", "Climate"))
    await add_article(store, url="https://cms.example/a", title="Glaciers retreat again", now=now)
    await due_reader(store, "console", "me", ["climate"], now=now, late=timedelta(minutes=5))
    # A feed that cannot be reached: polling must fail quietly and the rest go on.
    await store.upsert_feed(
        "http://127.0.0.1:9/feed", ["climate"], now=now, interval=timedelta(minutes=5)
    )
    await store.close()

    out = io.StringIO()
    async with open_app(Settings(database_path=db)) as app:
        runner = Runner(app, out)
        task = asyncio.create_task(runner.run())
        for _ in range(200):
            if "Glaciers retreat again" in out.getvalue():
                break
            await asyncio.sleep(0.05)
        await runner.retention()
        runner.stop.set()
        assert await asyncio.wait_for(task, 15) == 0
        assert await app.store.outbox_counts() == {"console": {"sent": 1}}
        feed = await app.store.get_feed("http://127.0.0.1:9/feed")
        assert feed is not None and feed.consecutive_errors == 1
    text = out.getvalue()
    assert "adapters: console; telegram off (no TELEGRAM_BOT_TOKEN)" in text
    assert "Glaciers retreat again" in text and text.rstrip().endswith("stopped")
