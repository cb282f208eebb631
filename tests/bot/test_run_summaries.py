"""Model summaries end to end (issue 14): the real ``digestbot run`` process with
LLM_BASE_URL pointing at the fake OpenAI-compatible server, delivering to the fake Bot API
and the fake Discord server.

1. Two English outlets report one story. Once the summary worker (run by the leader soon
   after start) has stored its summaries, a Vietnamese Telegram reader, a Discord channel
   whose digest language is Vietnamese and an English Telegram reader fall due: the
   Vietnamese digests show the translated title and summary, marked "đã dịch", with the
   original source links; the model was asked once per story and language, not per reader.
2. The model server is then stopped in the middle of the day. A feed brings a new English
   story; the worker's call fails (one log line, no traceback) and the next two readers'
   digests go out with the new story's own summary beside the summary already stored.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from digests.ingest.importer import import_records
from digests.models import Category
from digests.store import Store
from digests.timeutil import to_db
from tests.bot.discord.conftest import TOKEN as DISCORD_TOKEN
from tests.dbsql import run_sql
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.openai_answers import vietnamese
from tests.fakes.openai_api import FakeOpenAI, FakeOpenAIServer
from tests.fakes.telegram_api import FakeTelegram
from tests.processes import start_digestbot_run, until

TELEGRAM_TOKEN = "515151:summaries-e2e-token-never-to-be-logged-qwerty"
LLM_KEY = "sk-e2e-summaries-key-0123456789-never-to-be-logged"
CATEGORY = "ai-frontier"
GUILD = "500"
LINKS = ("https://wired.example/meta", "https://ledger.example/meta")
# (platform, chat, language): who falls due first, and who falls due after the model died.
Readers = tuple[tuple[str, str, str], ...]
FIRST: Readers = (("telegram", "701", "vi"), ("discord", "601", "vi"), ("telegram", "702", "en"))
SECOND: Readers = (("telegram", "703", "vi"), ("discord", "602", "vi"))
# What the fake model answers in Vietnamese for a story of two articles.
VI = vietnamese([{}, {}])
TRANSLATED = "đã dịch"
NEW_TITLE = "Regulators fine chipmaker over export breaches"
NEW_SUMMARY = "The fine follows a two-year investigation into shipments."
NEW_LINK = "https://chips.example/fine"


async def seed(db: Path) -> None:
    """One English story from two outlets, and every reader (none due yet: the test says
    when). All readers exist from the start, so the worker knows their languages."""
    now = datetime.now(UTC)
    store = await Store.open(db)
    try:
        await store.upsert_category(Category(CATEGORY, "AI Frontier", "", 0))
        records = [
            (
                "Meta Pauses Employee-Tracking Program Following Internal Data Leak",
                "Wired AI",
                "Meta halted the program after staff data leaked inside the company.",
            ),
            (
                "Meta Exposed Data Internally From Its Controversial Employee-Tracking Program",
                "Tech Ledger",
                "Internal dashboards showed employees' activity to too many managers.",
            ),
        ]
        await import_records(
            store,
            [
                (
                    i,
                    {
                        "url": url,
                        "title": title,
                        "source": source,
                        "summary": summary,
                        "category": CATEGORY,
                        "language": "en",
                        "published_at": (now - timedelta(hours=1)).isoformat(),
                    },
                )
                for i, (url, (title, source, summary)) in enumerate(
                    zip(LINKS, records, strict=True), 1
                )
            ],
            now=now,
            story_window=timedelta(hours=48),
        )
        for platform, chat, language in FIRST + SECOND:
            guild = GUILD if platform == "discord" else None
            reader = await store.upsert_subscriber(
                platform, chat, now=now, language=language, guild_id=guild
            )
            await store.subscribe(reader.id, [CATEGORY], now=now)
            await store.update_subscriber(
                reader.id, now=now, next_digest_at=now + timedelta(days=1)
            )
    finally:
        await store.close()


def chips_feed() -> web.Application:
    """An English feed whose one item is the story that arrives after the model died."""
    published = format_datetime(datetime.now(UTC) - timedelta(minutes=10), usegmt=True)
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Chip Wire</title><link>https://chips.example/</link>
<description>Chips</description><language>en</language>
<item><title>{NEW_TITLE}</title><link>{NEW_LINK}</link><guid>chips-1</guid>
<pubDate>{published}</pubDate><description>{NEW_SUMMARY}</description></item>
</channel></rss>"""

    async def serve(request: web.Request) -> web.Response:
        return web.Response(body=body.encode(), content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/chips.xml", serve)
    return app


@dataclass
class Run:
    """The fakes and the database of one ``digestbot run``."""

    db: Path
    telegram: FakeTelegram
    discord: FakeDiscord
    model: FakeOpenAIServer

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        return run_sql(self.db, query, *params)

    def fall_due(self, readers: Readers) -> datetime:
        """Make these readers due two seconds from now, and return that instant. Not a past
        one: a tick that read the due categories just before this update and the due
        readers just after would find their digests empty (see the report); a tick whose
        clock has reached the due time began after the update."""
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
        for platform, chat, _ in readers:
            self.sql(
                "UPDATE subscribers SET next_digest_at = ? WHERE platform = ? AND chat_id = ?",
                to_db(due),
                platform,
                chat,
            )
        return due

    def rescheduled(self, readers: Readers, due: datetime) -> bool:
        """Whether each reader's next digest is now after ``due`` (this one was made)."""
        query = "SELECT next_digest_at FROM subscribers WHERE platform = ? AND chat_id = ?"
        rows = [self.sql(query, platform, chat) for platform, chat, _ in readers]
        # Instants are stored as ISO text in UTC: they compare as text.
        return all(row and row[0][0] > to_db(due) for row in rows)

    def sent(self, platform: str, chat: str) -> list[str]:
        """What reached a chat: Telegram's texts, Discord's embeds as JSON."""
        if platform == "telegram":
            return [m["text"] for m in self.telegram.sent_to(chat)]
        return [
            json.dumps(m["embeds"], ensure_ascii=False)
            for m in self.discord.messages
            if m["channel"] == chat
        ]

    async def digests(self, readers: Readers) -> dict[str, str]:
        """Each reader's digest, once every one of them has one; one message each."""
        await waiting(
            f"the digests of {[chat for _, chat, _ in readers]}",
            lambda: all(self.sent(platform, chat) for platform, chat, _ in readers),
        )
        found = {chat: self.sent(platform, chat) for platform, chat, _ in readers}
        assert all(len(texts) == 1 for texts in found.values()), found
        return {chat: texts[0] for chat, texts in found.items()}


async def waiting(what: str, check: Callable[[], Any]) -> Any:
    """``until`` (its generous timeout: the process shares two cores with the suite), naming
    what never came."""
    try:
        return await until(check)
    except AssertionError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def read_all(stream: asyncio.StreamReader | None) -> bytes:
    assert stream is not None
    return await stream.read()


@pytest.fixture
def model() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(FakeOpenAI(key=LLM_KEY))
    server.start()
    try:
        yield server
    finally:
        server.close()


async def test_summaries_reach_readers_and_a_dead_model_delays_no_digest(
    tmp_path: Path,
    local_server,  # type: ignore[no-untyped-def]
    model: FakeOpenAIServer,
) -> None:
    telegram, discord = FakeTelegram(token=TELEGRAM_TOKEN), FakeDiscord(token=DISCORD_TOKEN)
    discord.guilds[GUILD] = {}
    telegram_base, discord_base = (
        await local_server(telegram.app()),
        await local_server(discord.app()),
    )
    feeds = await local_server(chips_feed())
    run = Run(tmp_path / "bot.db", telegram, discord, model)
    await seed(run.db)
    process = await start_digestbot_run(
        tmp_path,
        run.db,
        {
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_API_BASE_URL": f"{telegram_base}/bot",
            "DISCORD_BOT_TOKEN": DISCORD_TOKEN,
            "DISCORD_API_BASE_URL": f"{discord_base}/api/v10",
            "DISCORD_GATEWAY_URL": discord_base.replace("http://", "ws://") + "/gateway",
            "DISPATCH_INTERVAL_SECONDS": "1",
            "LLM_BASE_URL": model.base_url,
            "LLM_API_KEY": LLM_KEY,
            "LOG_LEVEL": "DEBUG",
        },
    )
    # Read the output while the process runs: at DEBUG it fills a pipe's buffer in
    # seconds, and a process blocked writing its logs delivers nothing.
    output = asyncio.gather(read_all(process.stdout), read_all(process.stderr))
    failure: AssertionError | None = None
    try:
        await scenario(run, f"{feeds}/chips.xml")
        assert process.returncode is None, "the process ended when the model went away"
    except AssertionError as exc:
        failure = exc
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(output, 20)
        await asyncio.wait_for(process.wait(), 20)
    logs = out.decode() + err.decode()
    if failure is not None:  # what the bot said, to tell why
        raise AssertionError(f"{failure}\n--- the bot's log ---\n{notable(logs)}") from failure
    assert process.returncode == 0, err.decode()[-2000:]
    assert LLM_KEY not in logs and TELEGRAM_TOKEN not in logs and DISCORD_TOKEN not in logs
    assert "Traceback" not in logs, notable(logs)
    # The failed pass is one line, counting why the call brought no answer.
    failed = [line for line in logs.splitlines() if "summaries:" in line and "unreachable" in line]
    assert failed and all(re.search(r"refused \{[^}]*'unreachable': \d", f) for f in failed)
    assert telegram.too_many == 0 and discord.too_many == 0


async def scenario(run: Run, feed: str) -> None:
    await summaries_made(run)
    first = run.fall_due(FIRST)
    # In the middle of the day the model goes away, and a feed brings a new story.
    run.model.stop()
    await add_feed(run.db, feed)
    first_digests(await run.digests(FIRST))
    await waiting("the first readers rescheduled", lambda: run.rescheduled(FIRST, first))
    await digests_without_the_model(run)


def notable(logs: str) -> str:
    """The bot's own lines and the warnings, without the libraries' DEBUG chatter."""
    lines = [
        line
        for line in logs.splitlines()
        if " DEBUG " not in line or line.startswith("Traceback") or line.startswith(" ")
    ]
    return "\n".join(lines[-60:])


async def summaries_made(run: Run) -> None:
    """The worker's first pass asks the model once per story and language (five readers,
    two languages), with the key, and stores both answers."""
    await waiting("both platforms", lambda: run.discord.connected and run.telegram.commands)
    ready = await waiting(
        "two ready summaries",
        lambda: (
            rows
            if len(rows := run.sql("SELECT language FROM story_summaries WHERE status = 'ready'"))
            == 2
            else None
        ),
    )
    assert sorted(language for (language,) in ready) == ["en", "vi"]
    calls = run.model.fake.completions
    assert len(calls) == 2
    asked = {json.loads(c.body["messages"][-1]["content"])["language"] for c in calls}
    assert asked == {"en", "vi"}
    assert all(c.headers.get("Authorization") == f"Bearer {LLM_KEY}" for c in calls)


async def add_feed(db: Path, url: str) -> None:
    store = await Store.open(db)
    try:
        await store.upsert_feed(
            url, [CATEGORY], now=datetime.now(UTC), name="Chip Wire", interval=timedelta(hours=1)
        )
    finally:
        await store.close()


def first_digests(texts: dict[str, str]) -> None:
    """Vietnamese readers on Telegram (HTML) and Discord (markdown embeds) read the
    translation with the original links; the English reader the combined summary."""
    for chat in ("701", "601"):
        text = texts[chat]
        assert VI["title"] in text and VI["summary"] in text, text
        assert all(link in text for link in LINKS) and TRANSLATED in text, text
        assert "Meta Pauses" not in text and "Meta halted" not in text, text
    english = texts["702"]
    assert "2 sources report: Meta Pauses" in english and TRANSLATED not in english
    assert "translated" not in english and all(link in english for link in LINKS)


async def digests_without_the_model(run: Run) -> None:
    """The worker's pass for the new story finds no server; the next readers' digests go
    out with that story's own summary beside the translation already stored."""
    # The poll that stored the article brought the worker's pass forward.
    await waiting(
        "the worker's failed call",
        lambda: run.sql("SELECT value FROM llm_usage WHERE name = 'fallback:unreachable'"),
    )
    second = run.fall_due(SECOND)
    texts = await run.digests(SECOND)
    for chat, text in texts.items():
        assert NEW_TITLE in text and NEW_SUMMARY in text and NEW_LINK in text, (chat, text)
        # The first story keeps its stored translation; the new one is not marked.
        assert VI["summary"] in text and text.count(TRANSLATED) == 1, (chat, text)
    await waiting("the next readers rescheduled", lambda: run.rescheduled(SECOND, second))
    assert len(run.model.fake.completions) == 2
    stored = run.sql("SELECT language, status FROM story_summaries ORDER BY language")
    assert stored == [("en", "ready"), ("vi", "ready")]
