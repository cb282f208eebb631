"""Two real ``digestbot run`` processes on ONE SQLite file (a systemd unit plus a manual
start, say): readers falling due while both run each get exactly one digest.

Both processes dispatch only while leading and send only while holding the platform's
sender role; what the fake Bot API received is counted per chat. The test waits for the
outcome (every entry sent and each process stopped cleanly), with a runaway guard only:
nothing here asserts how fast that was.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from digests.models import Category
from digests.store import Store
from tests.builders import add_article, due_reader
from tests.fakes.telegram_api import FakeTelegram
from tests.processes import start_digestbot_run

TOKEN = "424242:two-processes-test-token"
READERS = 12
RUNAWAY_S = 90.0  # a guard against a hang, not a bound on speed


async def wait_for(check, what) -> None:  # type: ignore[no-untyped-def]
    """Await ``check()`` until it is true, failing only after the runaway guard; ``what()``
    says what was awaited and what there was instead."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RUNAWAY_S
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {await what()}")
        await asyncio.sleep(0.1)


async def test_two_processes_on_one_sqlite_file_send_each_digest_once(
    tmp_path: Path,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    fake = FakeTelegram(token=TOKEN)
    base = await local_server(fake.app())
    db = tmp_path / "shared.db"
    store = await Store.open(db)
    try:
        await store.upsert_category(Category("climate", "Climate"))
        settings = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": f"{base}/bot",
            "DISPATCH_INTERVAL_SECONDS": "1",
        }
        processes = [
            await start_digestbot_run(tmp_path, db, {**settings, "PROCESS_NAME": name})
            for name in ("one", "two")
        ]
        failure: AssertionError | None = None
        try:

            async def both_running() -> bool:
                return {p.name for p in await store.processes()} == {"one", "two"}

            async def running() -> str:
                return f"both processes beat; rows: {await store.processes()}"

            await wait_for(both_running, running)
            # The readers fall due while both processes run.
            now = datetime.now(UTC)
            await add_article(store, url="https://cms.example/heat", title="Heat pumps", now=now)
            chats = [str(1000 + n) for n in range(READERS)]
            for chat in chats:
                await due_reader(store, "telegram", chat, ["climate"], now=now)

            async def all_sent() -> bool:
                counts = (await store.outbox_counts()).get("telegram", {})
                return counts.get("sent", 0) >= READERS and counts.keys() == {"sent"}

            async def sent() -> str:
                return (
                    f"{READERS} digests sent; outbox: {await store.outbox_counts()}, "
                    f"leases: {await store.leases(now=datetime.now(UTC))}"
                )

            await wait_for(all_sent, sent)
            assert (await store.outbox_counts())["telegram"] == {"sent": READERS}
            # One leader and one Telegram sender between the two.
            leases = await store.leases(now=datetime.now(UTC))
            assert leases["leader"][0] in {"one", "two"}
            assert leases["sender:telegram"][0] in {"one", "two"}
        except AssertionError as error:  # told below with what the processes logged
            failure = error
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            results = [await asyncio.wait_for(p.communicate(), RUNAWAY_S) for p in processes]
        if failure is not None:
            said = "\n".join(err.decode()[-3000:] for _, err in results)
            raise AssertionError(f"{failure}\n--- the processes logged:\n{said}")
        for process, (_, err) in zip(processes, results, strict=True):
            assert process.returncode == 0, err.decode()[-2000:]
        # Stopped cleanly: each process ended its row and gave its roles up.
        assert await store.processes() == []
        assert await store.leases(now=datetime.now(UTC)) == {}
        assert (await store.outbox_counts())["telegram"] == {"sent": READERS}
    finally:
        await store.close()
    received = Counter(str(message["chat_id"]) for message in fake.messages)
    assert received == dict.fromkeys(chats, 1)
    outs = [out.decode() for out, _ in results]
    assert any("digestbot running as one;" in out for out in outs)
    assert any("digestbot running as two;" in out for out in outs)
