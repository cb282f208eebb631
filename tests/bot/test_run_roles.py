"""Two ``digestbot run`` Runners on one database (a SQLite file, and PostgreSQL), each with
an App and a Store of its own: Telegram long polling, the dispatch tick and sending run only
where the roles say. The roles' rounds are driven one at a time under a fake clock; the
Telegram side is the real library against the local fake Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from bot.cluster import LEADER, sender_role
from bot.run import Runner
from bot.settings import PlatformSettings, load_bot_settings
from bot.telegram.settings import TelegramSettings
from bot.wiring import open_app
from digests.cluster_settings import ClusterSettings
from digests.dburl import PostgresUrl
from digests.models import Category
from digests.settings import Settings
from digests.timeutil import FakeClock
from tests.builders import add_article, due_reader
from tests.conftest import NOW
from tests.fakes import telegram_updates as tu
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "123456:roles-test-token"
SECRET = "webhook-secret-0123456789"
FEED = Path(__file__).parents[1] / "fixtures" / "feeds" / "rss2.xml"


async def until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Let the loop run until ``condition()`` holds (the Telegram tasks under test are real)."""
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Path | PostgresUrl:
    if request.param == "postgresql":
        url: PostgresUrl = request.getfixturevalue("postgres_url")
        return url
    return tmp_path / "shared.db"


@contextlib.asynccontextmanager
async def two_runners(
    database: Path | PostgresUrl, base: str | None, clock: FakeClock
) -> AsyncIterator[tuple[Runner, Runner]]:
    """Two processes' Runners; with Telegram's (fake) Bot API at ``base``, if given."""
    platforms = PlatformSettings(
        telegram=TelegramSettings(bot_token=TOKEN, api_base_url=f"{base}/bot")
        if base
        else TelegramSettings()
    )
    async with contextlib.AsyncExitStack() as stack:
        runners = []
        for name in ("a", "b"):
            settings = Settings(database_path=database, cluster=ClusterSettings(process_name=name))
            app = await stack.enter_async_context(
                open_app(settings, clock=clock, platforms=platforms)
            )
            runner = Runner(app, io.StringIO())
            stack.push_async_callback(close, runner)
            runners.append(runner)
        yield runners[0], runners[1]


async def close(runner: Runner) -> None:
    await runner.commands.close()
    await runner.http.aclose()
    for sender in runner.senders.values():
        closing = getattr(sender, "close", None)
        if closing is not None:
            await closing()


async def test_long_polling_follows_the_leader(
    database: Path | PostgresUrl,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    fake = FakeTelegram(token=TOKEN)
    base = await local_server(fake.app())
    clock = FakeClock(NOW)
    async with two_runners(database, base, clock) as (a, b):
        await a.roles.step()
        await b.roles.step()
        assert a.roles.held == {LEADER, sender_role("console"), sender_role("telegram")}
        assert b.roles.held == frozenset()
        await until(lambda: a.telegram is not None)
        first = a.telegram
        assert first is not None and first.application.updater.running
        assert b.telegram is None
        # b does not poll, yet its links name the bot: it asks getMe through its sender.
        assert b.app.identity.telegram_username is None
        await b.commands.learn_username(b.senders["telegram"])
        assert b.app.identity.telegram_username == "digest_test_bot"
        # a stops renewing (it hangs): once its lease has run out, b leads and polls.
        clock.advance(a.app.settings.cluster.leader_lease)
        await b.roles.step()
        assert b.roles.holds(LEADER)
        await until(lambda: b.telegram is not None)
        second = b.telegram
        assert second is not None and second.application.updater.running
        # a comes back, learns it no longer leads, and stops polling: one consumer again.
        await a.roles.step()
        out = a.out
        assert isinstance(out, io.StringIO)
        await until(lambda: "telegram commands off (another process leads)" in out.getvalue())
        assert a.telegram is None and not first.application.updater.running
        assert b.telegram is second and second.application.updater.running


async def test_only_the_leader_dispatches_and_only_the_sender_sends(
    database: Path | PostgresUrl,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    fake = FakeTelegram(token=TOKEN)
    base = await local_server(fake.app())
    clock = FakeClock(NOW)
    async with two_runners(database, base, clock) as (a, b):
        store = a.app.store
        await store.upsert_category(Category("climate", "Climate"))
        await add_article(store, url="https://cms.example/heat", title="Heat", now=NOW)
        await due_reader(store, "telegram", "555", ["climate"], now=NOW)
        await b.roles.step()  # b starts first this time, and leads
        await a.roles.step()
        assert b.roles.holds(LEADER) and not a.roles.holds(LEADER)
        await a.dispatch()
        assert (await store.outbox_counts()).get("telegram", {}).get("queued", 0) == 0
        await b.dispatch()
        assert (await store.outbox_counts())["telegram"] == {"queued": 1}
        assert a.roles.sending_platforms() == set()
        assert b.roles.sending_platforms() == {"console", "telegram"}


async def test_each_due_feed_is_fetched_by_one_process(
    database: Path | PostgresUrl,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    release = asyncio.Event()
    hits: dict[str, int] = {}

    async def handle(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        hits[name] = hits.get(name, 0) + 1
        if name == "slow":
            await release.wait()
        return web.Response(body=FEED.read_bytes())

    site = web.Application()
    site.router.add_get("/{name}", handle)
    base = await local_server(site)
    clock = FakeClock(NOW)
    every = timedelta(minutes=15)
    async with two_runners(database, None, clock) as (a, b):
        await a.app.store.upsert_category(Category("climate", "Climate"))
        for name in ("slow", "quick"):
            await a.app.store.upsert_feed(f"{base}/{name}", ["climate"], now=NOW, interval=every)
        # Polling is not a leader's job: both tick, and each due feed goes to one of them.
        await a.poll()
        await b.poll()
        await until(lambda: hits == {"slow": 1, "quick": 1} and len(a.jobs) == 1)
        assert not b.jobs, "b fetched a feed a had claimed"
        await b.poll()  # the slow feed is still a's (claimed), the quick one fetched
        assert not b.jobs
        release.set()
        await until(lambda: not a.jobs)
        # Due again: the claims were freed after the fetches, so whoever ticks first polls.
        clock.advance(every)
        await b.poll()
        await a.poll()
        await until(lambda: hits == {"slow": 2, "quick": 2} and not b.jobs)
        assert not a.jobs


async def test_in_webhook_mode_every_process_serves_the_webhook(
    tmp_path: Path,
    local_server,  # type: ignore[no-untyped-def]
) -> None:
    """Behind one load balancer any process may receive an update: each serves the
    webhook from its start, leading or not (the whole run, on the system clock)."""
    fake = FakeTelegram(token=TOKEN)
    base = await local_server(fake.app())
    db = tmp_path / "hook.db"
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    async with contextlib.AsyncExitStack() as stack:
        runners, tasks = [], []
        for name, port in zip(("a", "b"), ports, strict=True):
            settings = load_bot_settings(
                {
                    "DATABASE_URL": f"sqlite:///{db}",
                    "PROCESS_NAME": name,
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_API_BASE_URL": f"{base}/bot",
                    "TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram",
                    "TELEGRAM_WEBHOOK_SECRET": SECRET,
                    "TELEGRAM_WEBHOOK_BIND": f"127.0.0.1:{port}",
                }
            )
            app = await stack.enter_async_context(
                open_app(settings.core, platforms=settings.platforms)
            )
            runners.append(Runner(app, io.StringIO()))
        try:
            tasks = [asyncio.create_task(runner.run()) for runner in runners]
            outs = [runner.out for runner in runners]
            await until(lambda: all("commands on (webhook)" in o.getvalue() for o in outs))  # type: ignore[attr-defined]
            await until(lambda: sum(r.roles.holds(LEADER) for r in runners) == 1)
            follower = next(r for r in runners if not r.roles.holds(LEADER))
            port = ports[runners.index(follower)]
            update = {"update_id": 1, **tu.command("/help", chat_id=42)}
            async with httpx.AsyncClient() as client:
                answer = await client.post(
                    f"http://127.0.0.1:{port}/telegram",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
            assert answer.status_code == 200
            await until(lambda: fake.sent_to("42"))
            assert follower.telegram is not None
        finally:
            for runner in runners:
                runner.stop.set()
            assert await asyncio.wait_for(asyncio.gather(*tasks), 30) == [0, 0]
